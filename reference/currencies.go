package reference

import "sort"

// Currencies maps the World Bank code of a currency's issuer to the ISO
// 4217 code of the currency, for reading exchange rates from the World
// Bank's PA.NUS.FCRF indicator, which is reported by country: the row of
// the issuer gives the currency's rate. The euro's issuer is the Euro area
// aggregate (EMU); the rows of its members repeat its rate and are skipped,
// like every country not listed here. Currencies that changed hands (the
// Bulgarian lev, the Croatian kuna) are left out: the World Bank reports
// those countries in euro from the year they joined. For any other
// currency, load a "currency,year,per_usd" file.
var Currencies = map[string]string{
	"ARE": "AED", "ARG": "ARS", "AUS": "AUD", "BRA": "BRL", "CAN": "CAD",
	"CHE": "CHF", "CHL": "CLP", "CHN": "CNY", "COL": "COP", "CZE": "CZK",
	"DNK": "DKK", "EGY": "EGP", "EMU": "EUR", "GBR": "GBP", "HKG": "HKD",
	"HUN": "HUF", "IDN": "IDR", "IND": "INR", "ISL": "ISK", "ISR": "ILS",
	"JPN": "JPY", "KOR": "KRW", "KWT": "KWD", "MEX": "MXN", "MYS": "MYR",
	"NGA": "NGN", "NOR": "NOK", "NZL": "NZD", "PAK": "PKR", "PHL": "PHP",
	"POL": "PLN", "QAT": "QAR", "ROU": "RON", "RUS": "RUB", "SAU": "SAR",
	"SGP": "SGD", "SWE": "SEK", "THA": "THB", "TUR": "TRY", "UKR": "UAH",
	"USA": "USD", "ZAF": "ZAR",
}

// CurrencyIssuers returns the lines "EUR EMU", "GBP GBR", ... of
// Currencies, sorted by currency, for help texts and documentation.
func CurrencyIssuers() []string {
	out := make([]string, 0, len(Currencies))
	for issuer, cur := range Currencies {
		out = append(out, cur+" "+issuer)
	}
	sort.Strings(out)
	return out
}
