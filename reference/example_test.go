package reference_test

import (
	"fmt"
	"strings"

	"github.com/coalitiondev/coalition/reference"
)

// A World Bank exchange rate download gives each currency's rate from the
// row of its issuer: the euro from the euro area. Germany's row, a member,
// is skipped. (Invented figures.)
func ExampleReadFX() {
	const download = "\ufeff" + `"Data Source","World Development Indicators",

"Last Updated Date","2016-07-01",

"Country Name","Country Code","Indicator Name","Indicator Code","2014","2015",
"Germany","DEU","Official exchange rate (LCU per US$, period average)","PA.NUS.FCRF","0.75","0.9",
"Euro area","EMU","Official exchange rate (LCU per US$, period average)","PA.NUS.FCRF","0.75","0.9",
"United Kingdom","GBR","Official exchange rate (LCU per US$, period average)","PA.NUS.FCRF","","0.65",
`
	rates, sum, err := reference.ReadFX("API_PA.NUS.FCRF_DS2_en_csv_v2_1.csv", strings.NewReader(download))
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, r := range rates {
		fmt.Printf("%s %d: %g per US$\n", r.Currency, r.Year, r.PerUSD)
	}
	fmt.Printf("%d rows, %d skipped, %d empty\n", sum.Rows, sum.Skipped, sum.Empty)
	// Output:
	// EUR 2014: 0.75 per US$
	// EUR 2015: 0.9 per US$
	// GBP 2015: 0.65 per US$
	// 3 rows, 1 skipped, 1 empty
}

// Every problem names the line and the field.
func ExampleReadGDP_errors() {
	_, _, err := reference.ReadGDP("gdp.csv", strings.NewReader("country,year,gdp_usd\nDEU,2015,3.4e12\nFRA,2015,n/a\n"))
	fmt.Println(err)
	// Output:
	// GDP file gdp.csv: line 3: field "gdp_usd": "n/a" is not a number
}
