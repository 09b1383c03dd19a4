#!/usr/bin/env python3
"""Counts, by hand rules, what `coalition import gdelt` should make of a
GDELT file in the header-row CSV form: an implementation of docs/gdelt.md's
rules written apart from the Go code, so that the Go tests can check their
counts against numbers obtained another way.

    python3 testdata/gdelt/handcheck.py testdata/gdelt/events-2017-07-01-sample.csv [--countries GBR,DEU]

The ISO 3166-1 alpha-3 codes are read from schema/countries.go (the
registry, which is data, not the code under test).
"""
import collections, csv, re, sys, os

HERE = os.path.dirname(os.path.abspath(__file__))
ISO = set(re.findall(r'Alpha3: "([A-Z]{3})"', open(os.path.join(HERE, '..', '..', 'schema', 'countries.go')).read()))
REGIONS = {'AFR', 'ASA', 'BLK', 'CAS', 'CAU', 'CEU', 'CFR', 'CRB', 'EAF', 'EEU', 'EIN', 'EUR', 'LAM', 'MDT', 'MEA',
           'NAF', 'NMR', 'PGS', 'SAF', 'SAM', 'SAS', 'SCN', 'SEA', 'WAF', 'WST'}
ALIASES = {'ROM': 'ROU', 'TMP': 'TLS', 'ZAR': 'COD'}

# docs/gdelt.md's table, by prefix: kind, or None for "not imported".
S, P, M, SA, I = 'statement', 'pledge', 'meeting', 'sanction', 'incident'
RULES = {
    '01': S, '012': S, '013': S, '016': S, '018': S, '019': S,
    '02': S, '024': S, '025': S,
    '030': S, '031': S, '032': S, '033': P, '0331': P, '0332': P, '0333': P, '0334': P, '034': None,
    '035': S, '036': S, '037': S, '038': S, '039': S,
    '04': M, '05': S, '057': S, '06': S, '063': S, '07': S, '075': None, '08': None, '09': None,
    '10': S, '11': S, '113': S, '12': S, '128': S, '13': S, '14': None, '15': None,
    '16': SA, '161': SA, '162': SA, '163': SA, '165': SA, '166': SA,
    '17': SA, '1712': I, '175': I,
    '18': I, '181': I, '182': I, '1823': I, '183': I, '185': I, '186': I,
    '19': I, '191': I, '193': I, '194': I, '195': I, '196': I, '20': I,
}

def kind_of(code):
    for n in range(len(code), 1, -1):
        if code[:n] in RULES:
            return RULES[code[:n]]
    return None

def country(code):
    if code == '':
        return 'empty', ''
    if code in REGIONS:
        return 'region', ''
    code = ALIASES.get(code, code)
    return ('state', code) if code in ISO else ('unknown', '')

def outcome(r, countries):
    kind = kind_of(r['EventCode'])
    if kind is None:
        return 'unmapped_cameo'
    res, actor = country(r['Actor1CountryCode'])
    if res != 'state':
        return {'empty': 'no_actor_country', 'region': 'not_a_state', 'unknown': 'unknown_country'}[res]
    if countries and actor not in countries:
        return 'filtered_country'
    res, counterpart = country(r['Actor2CountryCode'])
    if kind != P and res != 'state':
        return {'empty': 'no_counterpart_country', 'region': 'not_a_state', 'unknown': 'unknown_country'}[res]
    if counterpart == actor:
        return 'domestic'
    return kind

def main():
    path = sys.argv[1]
    countries = set()
    if '--countries' in sys.argv:
        countries = set(sys.argv[sys.argv.index('--countries') + 1].split(','))
    c = collections.Counter(outcome(r, countries) for r in csv.DictReader(open(path, newline='')))
    for k in sorted(c):
        print(k, c[k])
    print('read', sum(c.values()))

main()
