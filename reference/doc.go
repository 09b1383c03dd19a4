// Package reference reads the reference data that puts money commitments
// in proportion, in the spirit of the Kiel Institute's Ukraine Support
// Tracker: gross domestic product in current US dollars by country and
// year, and exchange rates (units of a currency per US dollar, the year's
// average) by currency and year.
//
// It reads the World Bank's own CSV downloads, as they come:
//
//   - the World Development Indicators download of one indicator
//     (API_NY.GDP.MKTP.CD_DS2_en_csv_v2_*.csv for GDP, API_PA.NUS.FCRF_*
//     for exchange rates): a preamble ("Data Source", "Last Updated
//     Date"), then a header row "Country Name","Country Code","Indicator
//     Name","Indicator Code","1960",...,"2023" and one row per country or
//     aggregate, one column per year;
//   - the long layout, "Country Name,Country Code,Year,Value", one row per
//     country and year;
//
// and a simple layout of its own, "country,year,gdp_usd" or
// "currency,year,per_usd", for figures from elsewhere.
//
// The World Bank reports exchange rates (PA.NUS.FCRF, official exchange
// rate, local currency units per US dollar, period average) by country,
// not by currency. A country's row gives the rate of the currency it
// issues (Currencies): EUR comes from the Euro area aggregate (EMU), USD
// from the United States, GBP from the United Kingdom, and so on. Rows of
// other countries, such as the members of the euro area, are skipped and
// counted in Summary.Skipped.
//
// Problems are reported with the file, the line and the field: a value
// that is not a positive number, a year column that is not a year, a
// country or currency code of the wrong shape, a key given twice, or a
// World Development Indicators file of another indicator.
package reference
