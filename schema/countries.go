// Country data: ISO 3166-1 ("Codes for the representation of names of
// countries and their subdivisions - Part 1: Country code"), as published by
// ISO's Online Browsing Platform (https://www.iso.org/obp); the numeric codes
// are those of the UN M49 standard. All 249 officially assigned entries are
// listed. Name is ISO's English short name without the article marker
// "(the)" that ISO attaches to some names: ISO's "Korea (the Republic of)" is
// stored as "Korea (Republic of)", "United States of America (the)" as
// "United States of America".
//
// XKX/XK (Kosovo) is NOT an ISO 3166-1 assignment but a user-assigned code
// (ISO 3166-1 leaves the XA-XZ and XAA-XZZ ranges to users) in wide use by
// the European Union, GDELT and ACLED. It has no numeric code and is flagged
// with UserAssigned.

package schema

import "slices"

// Country is one entry of the ISO 3166-1 registry.
type Country struct {
	// Alpha3, Alpha2 and Numeric are the ISO 3166-1 alpha-3, alpha-2 and
	// numeric codes (e.g. "GBR", "GB", "826"). Numeric keeps its leading
	// zeros ("004") and is empty for user-assigned codes without one.
	Alpha3, Alpha2, Numeric string
	Name                    string // ISO English short name
	Short                   string // common display name
	// UserAssigned marks codes outside the official assignments (XKX).
	UserAssigned bool
}

// LookupCountry returns the entry for an alpha-3 code; the match is exact
// and case-sensitive (codes are upper case on the wire).
func LookupCountry(alpha3 string) (Country, bool) {
	i, ok := countryByAlpha3[alpha3]
	if !ok {
		return Country{}, false
	}
	return isoCountries[i], true
}

// LookupAlpha2 returns the entry for an alpha-2 code; the match is exact and
// case-sensitive, like LookupCountry.
func LookupAlpha2(alpha2 string) (Country, bool) {
	i, ok := countryByAlpha2[alpha2]
	if !ok {
		return Country{}, false
	}
	return isoCountries[i], true
}

// Countries returns every entry sorted by Alpha3 (a copy the caller may
// modify).
func Countries() []Country {
	return slices.Clone(isoCountries)
}

// CountryName returns the display name (Short) for an alpha-3 code, or the
// code itself if unknown.
func CountryName(alpha3 string) string {
	if c, ok := LookupCountry(alpha3); ok {
		return c.Short
	}
	return alpha3
}

// countryByAlpha3 and countryByAlpha2 index isoCountries; they are built once
// at package initialisation and never written afterwards.
var (
	countryByAlpha3 = indexCountries(func(c Country) string { return c.Alpha3 })
	countryByAlpha2 = indexCountries(func(c Country) string { return c.Alpha2 })
)

func indexCountries(key func(Country) string) map[string]int {
	m := make(map[string]int, len(isoCountries))
	for i, c := range isoCountries {
		m[key(c)] = i
	}
	return m
}

// isoCountries is the registry, sorted by Alpha3.
var isoCountries = []Country{
	{Alpha3: "ABW", Alpha2: "AW", Numeric: "533", Name: "Aruba", Short: "Aruba"},
	{Alpha3: "AFG", Alpha2: "AF", Numeric: "004", Name: "Afghanistan", Short: "Afghanistan"},
	{Alpha3: "AGO", Alpha2: "AO", Numeric: "024", Name: "Angola", Short: "Angola"},
	{Alpha3: "AIA", Alpha2: "AI", Numeric: "660", Name: "Anguilla", Short: "Anguilla"},
	{Alpha3: "ALA", Alpha2: "AX", Numeric: "248", Name: "Åland Islands", Short: "Åland Islands"},
	{Alpha3: "ALB", Alpha2: "AL", Numeric: "008", Name: "Albania", Short: "Albania"},
	{Alpha3: "AND", Alpha2: "AD", Numeric: "020", Name: "Andorra", Short: "Andorra"},
	{Alpha3: "ARE", Alpha2: "AE", Numeric: "784", Name: "United Arab Emirates", Short: "United Arab Emirates"},
	{Alpha3: "ARG", Alpha2: "AR", Numeric: "032", Name: "Argentina", Short: "Argentina"},
	{Alpha3: "ARM", Alpha2: "AM", Numeric: "051", Name: "Armenia", Short: "Armenia"},
	{Alpha3: "ASM", Alpha2: "AS", Numeric: "016", Name: "American Samoa", Short: "American Samoa"},
	{Alpha3: "ATA", Alpha2: "AQ", Numeric: "010", Name: "Antarctica", Short: "Antarctica"},
	{Alpha3: "ATF", Alpha2: "TF", Numeric: "260", Name: "French Southern Territories", Short: "French Southern Territories"},
	{Alpha3: "ATG", Alpha2: "AG", Numeric: "028", Name: "Antigua and Barbuda", Short: "Antigua and Barbuda"},
	{Alpha3: "AUS", Alpha2: "AU", Numeric: "036", Name: "Australia", Short: "Australia"},
	{Alpha3: "AUT", Alpha2: "AT", Numeric: "040", Name: "Austria", Short: "Austria"},
	{Alpha3: "AZE", Alpha2: "AZ", Numeric: "031", Name: "Azerbaijan", Short: "Azerbaijan"},
	{Alpha3: "BDI", Alpha2: "BI", Numeric: "108", Name: "Burundi", Short: "Burundi"},
	{Alpha3: "BEL", Alpha2: "BE", Numeric: "056", Name: "Belgium", Short: "Belgium"},
	{Alpha3: "BEN", Alpha2: "BJ", Numeric: "204", Name: "Benin", Short: "Benin"},
	{Alpha3: "BES", Alpha2: "BQ", Numeric: "535", Name: "Bonaire, Sint Eustatius and Saba", Short: "Caribbean Netherlands"},
	{Alpha3: "BFA", Alpha2: "BF", Numeric: "854", Name: "Burkina Faso", Short: "Burkina Faso"},
	{Alpha3: "BGD", Alpha2: "BD", Numeric: "050", Name: "Bangladesh", Short: "Bangladesh"},
	{Alpha3: "BGR", Alpha2: "BG", Numeric: "100", Name: "Bulgaria", Short: "Bulgaria"},
	{Alpha3: "BHR", Alpha2: "BH", Numeric: "048", Name: "Bahrain", Short: "Bahrain"},
	{Alpha3: "BHS", Alpha2: "BS", Numeric: "044", Name: "Bahamas", Short: "Bahamas"},
	{Alpha3: "BIH", Alpha2: "BA", Numeric: "070", Name: "Bosnia and Herzegovina", Short: "Bosnia and Herzegovina"},
	{Alpha3: "BLM", Alpha2: "BL", Numeric: "652", Name: "Saint Barthélemy", Short: "Saint Barthélemy"},
	{Alpha3: "BLR", Alpha2: "BY", Numeric: "112", Name: "Belarus", Short: "Belarus"},
	{Alpha3: "BLZ", Alpha2: "BZ", Numeric: "084", Name: "Belize", Short: "Belize"},
	{Alpha3: "BMU", Alpha2: "BM", Numeric: "060", Name: "Bermuda", Short: "Bermuda"},
	{Alpha3: "BOL", Alpha2: "BO", Numeric: "068", Name: "Bolivia (Plurinational State of)", Short: "Bolivia"},
	{Alpha3: "BRA", Alpha2: "BR", Numeric: "076", Name: "Brazil", Short: "Brazil"},
	{Alpha3: "BRB", Alpha2: "BB", Numeric: "052", Name: "Barbados", Short: "Barbados"},
	{Alpha3: "BRN", Alpha2: "BN", Numeric: "096", Name: "Brunei Darussalam", Short: "Brunei"},
	{Alpha3: "BTN", Alpha2: "BT", Numeric: "064", Name: "Bhutan", Short: "Bhutan"},
	{Alpha3: "BVT", Alpha2: "BV", Numeric: "074", Name: "Bouvet Island", Short: "Bouvet Island"},
	{Alpha3: "BWA", Alpha2: "BW", Numeric: "072", Name: "Botswana", Short: "Botswana"},
	{Alpha3: "CAF", Alpha2: "CF", Numeric: "140", Name: "Central African Republic", Short: "Central African Republic"},
	{Alpha3: "CAN", Alpha2: "CA", Numeric: "124", Name: "Canada", Short: "Canada"},
	{Alpha3: "CCK", Alpha2: "CC", Numeric: "166", Name: "Cocos (Keeling) Islands", Short: "Cocos (Keeling) Islands"},
	{Alpha3: "CHE", Alpha2: "CH", Numeric: "756", Name: "Switzerland", Short: "Switzerland"},
	{Alpha3: "CHL", Alpha2: "CL", Numeric: "152", Name: "Chile", Short: "Chile"},
	{Alpha3: "CHN", Alpha2: "CN", Numeric: "156", Name: "China", Short: "China"},
	{Alpha3: "CIV", Alpha2: "CI", Numeric: "384", Name: "Côte d'Ivoire", Short: "Côte d'Ivoire"},
	{Alpha3: "CMR", Alpha2: "CM", Numeric: "120", Name: "Cameroon", Short: "Cameroon"},
	{Alpha3: "COD", Alpha2: "CD", Numeric: "180", Name: "Congo (Democratic Republic of the)", Short: "DR Congo"},
	{Alpha3: "COG", Alpha2: "CG", Numeric: "178", Name: "Congo", Short: "Republic of the Congo"},
	{Alpha3: "COK", Alpha2: "CK", Numeric: "184", Name: "Cook Islands", Short: "Cook Islands"},
	{Alpha3: "COL", Alpha2: "CO", Numeric: "170", Name: "Colombia", Short: "Colombia"},
	{Alpha3: "COM", Alpha2: "KM", Numeric: "174", Name: "Comoros", Short: "Comoros"},
	{Alpha3: "CPV", Alpha2: "CV", Numeric: "132", Name: "Cabo Verde", Short: "Cape Verde"},
	{Alpha3: "CRI", Alpha2: "CR", Numeric: "188", Name: "Costa Rica", Short: "Costa Rica"},
	{Alpha3: "CUB", Alpha2: "CU", Numeric: "192", Name: "Cuba", Short: "Cuba"},
	{Alpha3: "CUW", Alpha2: "CW", Numeric: "531", Name: "Curaçao", Short: "Curaçao"},
	{Alpha3: "CXR", Alpha2: "CX", Numeric: "162", Name: "Christmas Island", Short: "Christmas Island"},
	{Alpha3: "CYM", Alpha2: "KY", Numeric: "136", Name: "Cayman Islands", Short: "Cayman Islands"},
	{Alpha3: "CYP", Alpha2: "CY", Numeric: "196", Name: "Cyprus", Short: "Cyprus"},
	{Alpha3: "CZE", Alpha2: "CZ", Numeric: "203", Name: "Czechia", Short: "Czechia"},
	{Alpha3: "DEU", Alpha2: "DE", Numeric: "276", Name: "Germany", Short: "Germany"},
	{Alpha3: "DJI", Alpha2: "DJ", Numeric: "262", Name: "Djibouti", Short: "Djibouti"},
	{Alpha3: "DMA", Alpha2: "DM", Numeric: "212", Name: "Dominica", Short: "Dominica"},
	{Alpha3: "DNK", Alpha2: "DK", Numeric: "208", Name: "Denmark", Short: "Denmark"},
	{Alpha3: "DOM", Alpha2: "DO", Numeric: "214", Name: "Dominican Republic", Short: "Dominican Republic"},
	{Alpha3: "DZA", Alpha2: "DZ", Numeric: "012", Name: "Algeria", Short: "Algeria"},
	{Alpha3: "ECU", Alpha2: "EC", Numeric: "218", Name: "Ecuador", Short: "Ecuador"},
	{Alpha3: "EGY", Alpha2: "EG", Numeric: "818", Name: "Egypt", Short: "Egypt"},
	{Alpha3: "ERI", Alpha2: "ER", Numeric: "232", Name: "Eritrea", Short: "Eritrea"},
	{Alpha3: "ESH", Alpha2: "EH", Numeric: "732", Name: "Western Sahara", Short: "Western Sahara"},
	{Alpha3: "ESP", Alpha2: "ES", Numeric: "724", Name: "Spain", Short: "Spain"},
	{Alpha3: "EST", Alpha2: "EE", Numeric: "233", Name: "Estonia", Short: "Estonia"},
	{Alpha3: "ETH", Alpha2: "ET", Numeric: "231", Name: "Ethiopia", Short: "Ethiopia"},
	{Alpha3: "FIN", Alpha2: "FI", Numeric: "246", Name: "Finland", Short: "Finland"},
	{Alpha3: "FJI", Alpha2: "FJ", Numeric: "242", Name: "Fiji", Short: "Fiji"},
	{Alpha3: "FLK", Alpha2: "FK", Numeric: "238", Name: "Falkland Islands (Malvinas)", Short: "Falkland Islands"},
	{Alpha3: "FRA", Alpha2: "FR", Numeric: "250", Name: "France", Short: "France"},
	{Alpha3: "FRO", Alpha2: "FO", Numeric: "234", Name: "Faroe Islands", Short: "Faroe Islands"},
	{Alpha3: "FSM", Alpha2: "FM", Numeric: "583", Name: "Micronesia (Federated States of)", Short: "Micronesia"},
	{Alpha3: "GAB", Alpha2: "GA", Numeric: "266", Name: "Gabon", Short: "Gabon"},
	{Alpha3: "GBR", Alpha2: "GB", Numeric: "826", Name: "United Kingdom of Great Britain and Northern Ireland", Short: "United Kingdom"},
	{Alpha3: "GEO", Alpha2: "GE", Numeric: "268", Name: "Georgia", Short: "Georgia"},
	{Alpha3: "GGY", Alpha2: "GG", Numeric: "831", Name: "Guernsey", Short: "Guernsey"},
	{Alpha3: "GHA", Alpha2: "GH", Numeric: "288", Name: "Ghana", Short: "Ghana"},
	{Alpha3: "GIB", Alpha2: "GI", Numeric: "292", Name: "Gibraltar", Short: "Gibraltar"},
	{Alpha3: "GIN", Alpha2: "GN", Numeric: "324", Name: "Guinea", Short: "Guinea"},
	{Alpha3: "GLP", Alpha2: "GP", Numeric: "312", Name: "Guadeloupe", Short: "Guadeloupe"},
	{Alpha3: "GMB", Alpha2: "GM", Numeric: "270", Name: "Gambia", Short: "Gambia"},
	{Alpha3: "GNB", Alpha2: "GW", Numeric: "624", Name: "Guinea-Bissau", Short: "Guinea-Bissau"},
	{Alpha3: "GNQ", Alpha2: "GQ", Numeric: "226", Name: "Equatorial Guinea", Short: "Equatorial Guinea"},
	{Alpha3: "GRC", Alpha2: "GR", Numeric: "300", Name: "Greece", Short: "Greece"},
	{Alpha3: "GRD", Alpha2: "GD", Numeric: "308", Name: "Grenada", Short: "Grenada"},
	{Alpha3: "GRL", Alpha2: "GL", Numeric: "304", Name: "Greenland", Short: "Greenland"},
	{Alpha3: "GTM", Alpha2: "GT", Numeric: "320", Name: "Guatemala", Short: "Guatemala"},
	{Alpha3: "GUF", Alpha2: "GF", Numeric: "254", Name: "French Guiana", Short: "French Guiana"},
	{Alpha3: "GUM", Alpha2: "GU", Numeric: "316", Name: "Guam", Short: "Guam"},
	{Alpha3: "GUY", Alpha2: "GY", Numeric: "328", Name: "Guyana", Short: "Guyana"},
	{Alpha3: "HKG", Alpha2: "HK", Numeric: "344", Name: "Hong Kong", Short: "Hong Kong"},
	{Alpha3: "HMD", Alpha2: "HM", Numeric: "334", Name: "Heard Island and McDonald Islands", Short: "Heard Island and McDonald Islands"},
	{Alpha3: "HND", Alpha2: "HN", Numeric: "340", Name: "Honduras", Short: "Honduras"},
	{Alpha3: "HRV", Alpha2: "HR", Numeric: "191", Name: "Croatia", Short: "Croatia"},
	{Alpha3: "HTI", Alpha2: "HT", Numeric: "332", Name: "Haiti", Short: "Haiti"},
	{Alpha3: "HUN", Alpha2: "HU", Numeric: "348", Name: "Hungary", Short: "Hungary"},
	{Alpha3: "IDN", Alpha2: "ID", Numeric: "360", Name: "Indonesia", Short: "Indonesia"},
	{Alpha3: "IMN", Alpha2: "IM", Numeric: "833", Name: "Isle of Man", Short: "Isle of Man"},
	{Alpha3: "IND", Alpha2: "IN", Numeric: "356", Name: "India", Short: "India"},
	{Alpha3: "IOT", Alpha2: "IO", Numeric: "086", Name: "British Indian Ocean Territory", Short: "British Indian Ocean Territory"},
	{Alpha3: "IRL", Alpha2: "IE", Numeric: "372", Name: "Ireland", Short: "Ireland"},
	{Alpha3: "IRN", Alpha2: "IR", Numeric: "364", Name: "Iran (Islamic Republic of)", Short: "Iran"},
	{Alpha3: "IRQ", Alpha2: "IQ", Numeric: "368", Name: "Iraq", Short: "Iraq"},
	{Alpha3: "ISL", Alpha2: "IS", Numeric: "352", Name: "Iceland", Short: "Iceland"},
	{Alpha3: "ISR", Alpha2: "IL", Numeric: "376", Name: "Israel", Short: "Israel"},
	{Alpha3: "ITA", Alpha2: "IT", Numeric: "380", Name: "Italy", Short: "Italy"},
	{Alpha3: "JAM", Alpha2: "JM", Numeric: "388", Name: "Jamaica", Short: "Jamaica"},
	{Alpha3: "JEY", Alpha2: "JE", Numeric: "832", Name: "Jersey", Short: "Jersey"},
	{Alpha3: "JOR", Alpha2: "JO", Numeric: "400", Name: "Jordan", Short: "Jordan"},
	{Alpha3: "JPN", Alpha2: "JP", Numeric: "392", Name: "Japan", Short: "Japan"},
	{Alpha3: "KAZ", Alpha2: "KZ", Numeric: "398", Name: "Kazakhstan", Short: "Kazakhstan"},
	{Alpha3: "KEN", Alpha2: "KE", Numeric: "404", Name: "Kenya", Short: "Kenya"},
	{Alpha3: "KGZ", Alpha2: "KG", Numeric: "417", Name: "Kyrgyzstan", Short: "Kyrgyzstan"},
	{Alpha3: "KHM", Alpha2: "KH", Numeric: "116", Name: "Cambodia", Short: "Cambodia"},
	{Alpha3: "KIR", Alpha2: "KI", Numeric: "296", Name: "Kiribati", Short: "Kiribati"},
	{Alpha3: "KNA", Alpha2: "KN", Numeric: "659", Name: "Saint Kitts and Nevis", Short: "Saint Kitts and Nevis"},
	{Alpha3: "KOR", Alpha2: "KR", Numeric: "410", Name: "Korea (Republic of)", Short: "South Korea"},
	{Alpha3: "KWT", Alpha2: "KW", Numeric: "414", Name: "Kuwait", Short: "Kuwait"},
	{Alpha3: "LAO", Alpha2: "LA", Numeric: "418", Name: "Lao People's Democratic Republic", Short: "Laos"},
	{Alpha3: "LBN", Alpha2: "LB", Numeric: "422", Name: "Lebanon", Short: "Lebanon"},
	{Alpha3: "LBR", Alpha2: "LR", Numeric: "430", Name: "Liberia", Short: "Liberia"},
	{Alpha3: "LBY", Alpha2: "LY", Numeric: "434", Name: "Libya", Short: "Libya"},
	{Alpha3: "LCA", Alpha2: "LC", Numeric: "662", Name: "Saint Lucia", Short: "Saint Lucia"},
	{Alpha3: "LIE", Alpha2: "LI", Numeric: "438", Name: "Liechtenstein", Short: "Liechtenstein"},
	{Alpha3: "LKA", Alpha2: "LK", Numeric: "144", Name: "Sri Lanka", Short: "Sri Lanka"},
	{Alpha3: "LSO", Alpha2: "LS", Numeric: "426", Name: "Lesotho", Short: "Lesotho"},
	{Alpha3: "LTU", Alpha2: "LT", Numeric: "440", Name: "Lithuania", Short: "Lithuania"},
	{Alpha3: "LUX", Alpha2: "LU", Numeric: "442", Name: "Luxembourg", Short: "Luxembourg"},
	{Alpha3: "LVA", Alpha2: "LV", Numeric: "428", Name: "Latvia", Short: "Latvia"},
	{Alpha3: "MAC", Alpha2: "MO", Numeric: "446", Name: "Macao", Short: "Macao"},
	{Alpha3: "MAF", Alpha2: "MF", Numeric: "663", Name: "Saint Martin (French part)", Short: "Saint Martin"},
	{Alpha3: "MAR", Alpha2: "MA", Numeric: "504", Name: "Morocco", Short: "Morocco"},
	{Alpha3: "MCO", Alpha2: "MC", Numeric: "492", Name: "Monaco", Short: "Monaco"},
	{Alpha3: "MDA", Alpha2: "MD", Numeric: "498", Name: "Moldova (Republic of)", Short: "Moldova"},
	{Alpha3: "MDG", Alpha2: "MG", Numeric: "450", Name: "Madagascar", Short: "Madagascar"},
	{Alpha3: "MDV", Alpha2: "MV", Numeric: "462", Name: "Maldives", Short: "Maldives"},
	{Alpha3: "MEX", Alpha2: "MX", Numeric: "484", Name: "Mexico", Short: "Mexico"},
	{Alpha3: "MHL", Alpha2: "MH", Numeric: "584", Name: "Marshall Islands", Short: "Marshall Islands"},
	{Alpha3: "MKD", Alpha2: "MK", Numeric: "807", Name: "North Macedonia", Short: "North Macedonia"},
	{Alpha3: "MLI", Alpha2: "ML", Numeric: "466", Name: "Mali", Short: "Mali"},
	{Alpha3: "MLT", Alpha2: "MT", Numeric: "470", Name: "Malta", Short: "Malta"},
	{Alpha3: "MMR", Alpha2: "MM", Numeric: "104", Name: "Myanmar", Short: "Myanmar"},
	{Alpha3: "MNE", Alpha2: "ME", Numeric: "499", Name: "Montenegro", Short: "Montenegro"},
	{Alpha3: "MNG", Alpha2: "MN", Numeric: "496", Name: "Mongolia", Short: "Mongolia"},
	{Alpha3: "MNP", Alpha2: "MP", Numeric: "580", Name: "Northern Mariana Islands", Short: "Northern Mariana Islands"},
	{Alpha3: "MOZ", Alpha2: "MZ", Numeric: "508", Name: "Mozambique", Short: "Mozambique"},
	{Alpha3: "MRT", Alpha2: "MR", Numeric: "478", Name: "Mauritania", Short: "Mauritania"},
	{Alpha3: "MSR", Alpha2: "MS", Numeric: "500", Name: "Montserrat", Short: "Montserrat"},
	{Alpha3: "MTQ", Alpha2: "MQ", Numeric: "474", Name: "Martinique", Short: "Martinique"},
	{Alpha3: "MUS", Alpha2: "MU", Numeric: "480", Name: "Mauritius", Short: "Mauritius"},
	{Alpha3: "MWI", Alpha2: "MW", Numeric: "454", Name: "Malawi", Short: "Malawi"},
	{Alpha3: "MYS", Alpha2: "MY", Numeric: "458", Name: "Malaysia", Short: "Malaysia"},
	{Alpha3: "MYT", Alpha2: "YT", Numeric: "175", Name: "Mayotte", Short: "Mayotte"},
	{Alpha3: "NAM", Alpha2: "NA", Numeric: "516", Name: "Namibia", Short: "Namibia"},
	{Alpha3: "NCL", Alpha2: "NC", Numeric: "540", Name: "New Caledonia", Short: "New Caledonia"},
	{Alpha3: "NER", Alpha2: "NE", Numeric: "562", Name: "Niger", Short: "Niger"},
	{Alpha3: "NFK", Alpha2: "NF", Numeric: "574", Name: "Norfolk Island", Short: "Norfolk Island"},
	{Alpha3: "NGA", Alpha2: "NG", Numeric: "566", Name: "Nigeria", Short: "Nigeria"},
	{Alpha3: "NIC", Alpha2: "NI", Numeric: "558", Name: "Nicaragua", Short: "Nicaragua"},
	{Alpha3: "NIU", Alpha2: "NU", Numeric: "570", Name: "Niue", Short: "Niue"},
	{Alpha3: "NLD", Alpha2: "NL", Numeric: "528", Name: "Netherlands (Kingdom of the)", Short: "Netherlands"},
	{Alpha3: "NOR", Alpha2: "NO", Numeric: "578", Name: "Norway", Short: "Norway"},
	{Alpha3: "NPL", Alpha2: "NP", Numeric: "524", Name: "Nepal", Short: "Nepal"},
	{Alpha3: "NRU", Alpha2: "NR", Numeric: "520", Name: "Nauru", Short: "Nauru"},
	{Alpha3: "NZL", Alpha2: "NZ", Numeric: "554", Name: "New Zealand", Short: "New Zealand"},
	{Alpha3: "OMN", Alpha2: "OM", Numeric: "512", Name: "Oman", Short: "Oman"},
	{Alpha3: "PAK", Alpha2: "PK", Numeric: "586", Name: "Pakistan", Short: "Pakistan"},
	{Alpha3: "PAN", Alpha2: "PA", Numeric: "591", Name: "Panama", Short: "Panama"},
	{Alpha3: "PCN", Alpha2: "PN", Numeric: "612", Name: "Pitcairn", Short: "Pitcairn Islands"},
	{Alpha3: "PER", Alpha2: "PE", Numeric: "604", Name: "Peru", Short: "Peru"},
	{Alpha3: "PHL", Alpha2: "PH", Numeric: "608", Name: "Philippines", Short: "Philippines"},
	{Alpha3: "PLW", Alpha2: "PW", Numeric: "585", Name: "Palau", Short: "Palau"},
	{Alpha3: "PNG", Alpha2: "PG", Numeric: "598", Name: "Papua New Guinea", Short: "Papua New Guinea"},
	{Alpha3: "POL", Alpha2: "PL", Numeric: "616", Name: "Poland", Short: "Poland"},
	{Alpha3: "PRI", Alpha2: "PR", Numeric: "630", Name: "Puerto Rico", Short: "Puerto Rico"},
	{Alpha3: "PRK", Alpha2: "KP", Numeric: "408", Name: "Korea (Democratic People's Republic of)", Short: "North Korea"},
	{Alpha3: "PRT", Alpha2: "PT", Numeric: "620", Name: "Portugal", Short: "Portugal"},
	{Alpha3: "PRY", Alpha2: "PY", Numeric: "600", Name: "Paraguay", Short: "Paraguay"},
	{Alpha3: "PSE", Alpha2: "PS", Numeric: "275", Name: "Palestine, State of", Short: "Palestine"},
	{Alpha3: "PYF", Alpha2: "PF", Numeric: "258", Name: "French Polynesia", Short: "French Polynesia"},
	{Alpha3: "QAT", Alpha2: "QA", Numeric: "634", Name: "Qatar", Short: "Qatar"},
	{Alpha3: "REU", Alpha2: "RE", Numeric: "638", Name: "Réunion", Short: "Réunion"},
	{Alpha3: "ROU", Alpha2: "RO", Numeric: "642", Name: "Romania", Short: "Romania"},
	{Alpha3: "RUS", Alpha2: "RU", Numeric: "643", Name: "Russian Federation", Short: "Russia"},
	{Alpha3: "RWA", Alpha2: "RW", Numeric: "646", Name: "Rwanda", Short: "Rwanda"},
	{Alpha3: "SAU", Alpha2: "SA", Numeric: "682", Name: "Saudi Arabia", Short: "Saudi Arabia"},
	{Alpha3: "SDN", Alpha2: "SD", Numeric: "729", Name: "Sudan", Short: "Sudan"},
	{Alpha3: "SEN", Alpha2: "SN", Numeric: "686", Name: "Senegal", Short: "Senegal"},
	{Alpha3: "SGP", Alpha2: "SG", Numeric: "702", Name: "Singapore", Short: "Singapore"},
	{Alpha3: "SGS", Alpha2: "GS", Numeric: "239", Name: "South Georgia and the South Sandwich Islands", Short: "South Georgia and the South Sandwich Islands"},
	{Alpha3: "SHN", Alpha2: "SH", Numeric: "654", Name: "Saint Helena, Ascension and Tristan da Cunha", Short: "Saint Helena"},
	{Alpha3: "SJM", Alpha2: "SJ", Numeric: "744", Name: "Svalbard and Jan Mayen", Short: "Svalbard and Jan Mayen"},
	{Alpha3: "SLB", Alpha2: "SB", Numeric: "090", Name: "Solomon Islands", Short: "Solomon Islands"},
	{Alpha3: "SLE", Alpha2: "SL", Numeric: "694", Name: "Sierra Leone", Short: "Sierra Leone"},
	{Alpha3: "SLV", Alpha2: "SV", Numeric: "222", Name: "El Salvador", Short: "El Salvador"},
	{Alpha3: "SMR", Alpha2: "SM", Numeric: "674", Name: "San Marino", Short: "San Marino"},
	{Alpha3: "SOM", Alpha2: "SO", Numeric: "706", Name: "Somalia", Short: "Somalia"},
	{Alpha3: "SPM", Alpha2: "PM", Numeric: "666", Name: "Saint Pierre and Miquelon", Short: "Saint Pierre and Miquelon"},
	{Alpha3: "SRB", Alpha2: "RS", Numeric: "688", Name: "Serbia", Short: "Serbia"},
	{Alpha3: "SSD", Alpha2: "SS", Numeric: "728", Name: "South Sudan", Short: "South Sudan"},
	{Alpha3: "STP", Alpha2: "ST", Numeric: "678", Name: "Sao Tome and Principe", Short: "São Tomé and Príncipe"},
	{Alpha3: "SUR", Alpha2: "SR", Numeric: "740", Name: "Suriname", Short: "Suriname"},
	{Alpha3: "SVK", Alpha2: "SK", Numeric: "703", Name: "Slovakia", Short: "Slovakia"},
	{Alpha3: "SVN", Alpha2: "SI", Numeric: "705", Name: "Slovenia", Short: "Slovenia"},
	{Alpha3: "SWE", Alpha2: "SE", Numeric: "752", Name: "Sweden", Short: "Sweden"},
	{Alpha3: "SWZ", Alpha2: "SZ", Numeric: "748", Name: "Eswatini", Short: "Eswatini"},
	{Alpha3: "SXM", Alpha2: "SX", Numeric: "534", Name: "Sint Maarten (Dutch part)", Short: "Sint Maarten"},
	{Alpha3: "SYC", Alpha2: "SC", Numeric: "690", Name: "Seychelles", Short: "Seychelles"},
	{Alpha3: "SYR", Alpha2: "SY", Numeric: "760", Name: "Syrian Arab Republic", Short: "Syria"},
	{Alpha3: "TCA", Alpha2: "TC", Numeric: "796", Name: "Turks and Caicos Islands", Short: "Turks and Caicos Islands"},
	{Alpha3: "TCD", Alpha2: "TD", Numeric: "148", Name: "Chad", Short: "Chad"},
	{Alpha3: "TGO", Alpha2: "TG", Numeric: "768", Name: "Togo", Short: "Togo"},
	{Alpha3: "THA", Alpha2: "TH", Numeric: "764", Name: "Thailand", Short: "Thailand"},
	{Alpha3: "TJK", Alpha2: "TJ", Numeric: "762", Name: "Tajikistan", Short: "Tajikistan"},
	{Alpha3: "TKL", Alpha2: "TK", Numeric: "772", Name: "Tokelau", Short: "Tokelau"},
	{Alpha3: "TKM", Alpha2: "TM", Numeric: "795", Name: "Turkmenistan", Short: "Turkmenistan"},
	{Alpha3: "TLS", Alpha2: "TL", Numeric: "626", Name: "Timor-Leste", Short: "Timor-Leste"},
	{Alpha3: "TON", Alpha2: "TO", Numeric: "776", Name: "Tonga", Short: "Tonga"},
	{Alpha3: "TTO", Alpha2: "TT", Numeric: "780", Name: "Trinidad and Tobago", Short: "Trinidad and Tobago"},
	{Alpha3: "TUN", Alpha2: "TN", Numeric: "788", Name: "Tunisia", Short: "Tunisia"},
	{Alpha3: "TUR", Alpha2: "TR", Numeric: "792", Name: "Türkiye", Short: "Türkiye"},
	{Alpha3: "TUV", Alpha2: "TV", Numeric: "798", Name: "Tuvalu", Short: "Tuvalu"},
	{Alpha3: "TWN", Alpha2: "TW", Numeric: "158", Name: "Taiwan (Province of China)", Short: "Taiwan"},
	{Alpha3: "TZA", Alpha2: "TZ", Numeric: "834", Name: "Tanzania, United Republic of", Short: "Tanzania"},
	{Alpha3: "UGA", Alpha2: "UG", Numeric: "800", Name: "Uganda", Short: "Uganda"},
	{Alpha3: "UKR", Alpha2: "UA", Numeric: "804", Name: "Ukraine", Short: "Ukraine"},
	{Alpha3: "UMI", Alpha2: "UM", Numeric: "581", Name: "United States Minor Outlying Islands", Short: "U.S. Minor Outlying Islands"},
	{Alpha3: "URY", Alpha2: "UY", Numeric: "858", Name: "Uruguay", Short: "Uruguay"},
	{Alpha3: "USA", Alpha2: "US", Numeric: "840", Name: "United States of America", Short: "United States"},
	{Alpha3: "UZB", Alpha2: "UZ", Numeric: "860", Name: "Uzbekistan", Short: "Uzbekistan"},
	{Alpha3: "VAT", Alpha2: "VA", Numeric: "336", Name: "Holy See", Short: "Vatican City"},
	{Alpha3: "VCT", Alpha2: "VC", Numeric: "670", Name: "Saint Vincent and the Grenadines", Short: "Saint Vincent and the Grenadines"},
	{Alpha3: "VEN", Alpha2: "VE", Numeric: "862", Name: "Venezuela (Bolivarian Republic of)", Short: "Venezuela"},
	{Alpha3: "VGB", Alpha2: "VG", Numeric: "092", Name: "Virgin Islands (British)", Short: "British Virgin Islands"},
	{Alpha3: "VIR", Alpha2: "VI", Numeric: "850", Name: "Virgin Islands (U.S.)", Short: "U.S. Virgin Islands"},
	{Alpha3: "VNM", Alpha2: "VN", Numeric: "704", Name: "Viet Nam", Short: "Vietnam"},
	{Alpha3: "VUT", Alpha2: "VU", Numeric: "548", Name: "Vanuatu", Short: "Vanuatu"},
	{Alpha3: "WLF", Alpha2: "WF", Numeric: "876", Name: "Wallis and Futuna", Short: "Wallis and Futuna"},
	{Alpha3: "WSM", Alpha2: "WS", Numeric: "882", Name: "Samoa", Short: "Samoa"},
	{Alpha3: "XKX", Alpha2: "XK", Numeric: "", Name: "Kosovo", Short: "Kosovo", UserAssigned: true},
	{Alpha3: "YEM", Alpha2: "YE", Numeric: "887", Name: "Yemen", Short: "Yemen"},
	{Alpha3: "ZAF", Alpha2: "ZA", Numeric: "710", Name: "South Africa", Short: "South Africa"},
	{Alpha3: "ZMB", Alpha2: "ZM", Numeric: "894", Name: "Zambia", Short: "Zambia"},
	{Alpha3: "ZWE", Alpha2: "ZW", Numeric: "716", Name: "Zimbabwe", Short: "Zimbabwe"},
}
