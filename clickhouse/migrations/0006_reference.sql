-- Reference data for money_ranking (after the Kiel Institute's Ukraine
-- Support Tracker, which ranks donors by money and as a share of GDP),
-- written by `coalition reference load gdp|fx FILE` (package reference
-- reads the World Bank's CSV downloads).
--
-- A later load of the same key replaces the earlier figure: readers take
-- the row with the highest load_id per key (argMax, which is right before
-- the background merges of ReplacingMergeTree have run, and on every
-- shard of a cluster); the merges then drop the older rows.
--
-- reference_gdp: gross domestic product in current US dollars (World Bank
-- NY.GDP.MKTP.CD), by country (ISO alpha-3) and year.
CREATE TABLE IF NOT EXISTS reference_gdp
(
    country   String,
    year      UInt16,
    gdp_usd   Float64,
    source    String,
    loaded_at DateTime('UTC'),
    load_id   UInt64
)
ENGINE = ReplacingMergeTree(load_id)
ORDER BY (country, year);

-- reference_fx: units of a currency (ISO 4217) one US dollar bought, on
-- average over the year (World Bank PA.NUS.FCRF, by the currency's
-- issuer: EUR from the euro area), by currency and year.
CREATE TABLE IF NOT EXISTS reference_fx
(
    currency  String,
    year      UInt16,
    per_usd   Float64,
    source    String,
    loaded_at DateTime('UTC'),
    load_id   UInt64
)
ENGINE = ReplacingMergeTree(load_id)
ORDER BY (currency, year);
