#!/usr/bin/env python3
"""Makes the small crafted GDELT files of testdata/gdelt from the real
sample (events-2017-07-01-sample.csv). Run from the repository root:

    python3 testdata/gdelt/make_testdata.py

Real rows keep their GLOBALEVENTID; crafted rows (changed codes, countries
or URLs, to reach cases the sample lacks) have ids from 900000001 up.
"""
import csv, io, os, zipfile

D = 'testdata/gdelt'
rows = {r['GLOBALEVENTID']: r for r in csv.DictReader(open(os.path.join(D, 'events-2017-07-01-sample.csv'), newline=''))}
header = next(csv.reader(open(os.path.join(D, 'events-2017-07-01-sample.csv'), newline='')))
cols = [c for c in header if c != 'CAMEOCodeDescription']   # the 61 official columns
assert len(cols) == 61

def fields(gid, **change):
    r = dict(rows[gid])
    for k, v in change.items():
        r[k] = v
    return [r[c] for c in cols]

def crafted(new_id, gid, **change):
    return fields(gid, GLOBALEVENTID=str(new_id), **change)

def code(c):
    return dict(EventCode=c, EventBaseCode=c[:3], EventRootCode=c[:2])

official = [
    fields('669666590'),  # AFG meets CHN, 046: meeting
    fields('669666608'),  # AFG accuses USA, 112: statement -1
    fields('669666730'),  # CHN signs an agreement with PAK, 057: statement +2
    fields('669666367'),  # SAU on EGY, 172 (SQLDATE 2016): sanction
    fields('669666380'),  # MLI and TCD, 190: incident, severity 4
    fields('669667229'),  # JOR and SYR, 194: incident, severity 5
    fields('669666943'),  # FRA aid to CIV, 070: statement +2
    fields('669667290'),  # KEN on DEU, 010: statement 0
    fields('669666410'),  # 075 grant asylum: unmapped_cameo
    fields('669666350'),  # no Actor1 country: no_actor_country
    fields('669666732'),  # CHN on SEA (Southeast Asia), 012: not_a_state
    fields('669667180'),  # NATO (WST), 036: not_a_state
    fields('669667301'),  # KEN and KEN, 046: domestic
    fields('669667006'),  # GBR aid to NGA, 071: statement +2
    crafted(900000001, '669667006', **code('0331')),  # GBR promises economic aid to NGA: pledge
    crafted(900000002, '669666851', Actor2Name='AFRICA', Actor2CountryCode='AFR', Actor2Code='AFR', **code('0333')),  # DEU promises humanitarian aid to Africa: pledge, no destination
    crafted(900000003, '669666590', Actor1Name='ROMANIA', Actor1Code='ROM', Actor1CountryCode='ROM', Actor2Name='MOLDOVA', Actor2Code='MDA', Actor2CountryCode='MDA', ActionGeo_FullName='Moldova', **code('042')),  # CAMEO ROM: meeting of ROU
    crafted(900000004, '669666608', Actor2Name='NOWHERE', Actor2Code='XYZ', Actor2CountryCode='XYZ'),  # unknown_country
    crafted(900000005, '669667221', SOURCEURL='', **code('051')),  # ITA praises GBR, no URL: statement +1, GDELT file URL as source
    crafted(900000006, '669667221', SOURCEURL='BBC Monitoring', **code('051')),  # a source that is not a URL: likewise
]

def tsv(rs):
    return ''.join('\t'.join(r) + '\n' for r in rs)

with open(os.path.join(D, '20170701234500.export.CSV'), 'w', newline='') as f:
    f.write(tsv(official))
with zipfile.ZipFile(os.path.join(D, '20170701234500.export.CSV.zip'), 'w', zipfile.ZIP_DEFLATED) as z:
    z.writestr(zipfile.ZipInfo('20170701234500.export.CSV', date_time=(2017, 7, 1, 23, 45, 0)), tsv(official), zipfile.ZIP_DEFLATED)
zipped = open(os.path.join(D, '20170701234500.export.CSV.zip'), 'rb').read()
with open(os.path.join(D, 'truncated.export.CSV.zip'), 'wb') as f:
    f.write(zipped[:len(zipped) * 6 // 10])   # cut short: no central directory

good1, good2 = fields('669666591'), fields('669666717')  # AFG and CHN negotiate, 046: meetings
def bad(gid, **change):
    return fields(gid, **change)
cut = '\t'.join(fields('669666718'))
cut = cut[:cut.index('\t', len(cut) // 2)]   # cut mid-row, no line end
malformed = [
    '\t'.join(good1),                                         # 1 good
    '\t'.join(fields('669666592')[:60]),                      # 2 60 columns
    '\t'.join(bad('669666593', GLOBALEVENTID='66966x593')),   # 3 bad id
    '\t'.join(bad('669666597', SQLDATE='20170231')),          # 4 no such day
    '\t'.join(bad('669666598', DATEADDED='2017070123450')),   # 5 13 digits
    '\t'.join(bad('669666599', **dict(code('046'), EventCode='4a6'))),  # 6 not a code
    '\t'.join(bad('669666600', EventRootCode='05')),          # 7 root does not begin the code
    '\t'.join(bad('669666601', Actor1CountryCode='Afg')),     # 8 not a country code
    '\t'.join(bad('669666602', GoldsteinScale='high')),       # 9 not a number
    '\t'.join(bad('669666603', NumMentions='-3')),            # 10 negative count
    '\t'.join(bad('669666604', AvgTone='NaN')),               # 11 not a number in range
    '',                                                       # 12 blank: passed over
    '\t'.join(bad('669666605', SQLDATE='19690720')),          # 13 before 1970: invalid event
    '\t'.join(bad('669666606', DATEADDED='20990101000000')),  # 14 reported in the future: invalid event
    '\t'.join(good2),                                         # 15 good
]
with open(os.path.join(D, 'malformed.export.CSV'), 'w', newline='') as f:
    f.write('\n'.join(malformed) + '\n' + cut)               # 16 cut mid-row, no line end
