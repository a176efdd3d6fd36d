"""Forecast states as the previous version stored them, and what it emitted next (generated with it)."""

from __future__ import annotations

# P-1 on 1 April 2026 (default context): T&M, A-US and a GBP-costed A-UK (no rate: an open
# FX_RATE_MISSING), March time with a revised and a stale entry, M1 accepted.
PROJECT_JSON = (
    '{"project_id":"P-1","contract":{"version":1,"currency":"USD","legal_entity":"LE-US","billing_mod'
    'el":"TIME_AND_MATERIALS","contract_value":"100000.00","bill_rates":[{"role":"consultant","resour'
    'ce_id":null,"rate":"150.00","effective_from":"2026-01-01"}],"cost_rates":[{"role":"consultant","'
    'resource_id":null,"rate":"80.00","effective_from":"2026-01-01"}],"milestones":[{"milestone_id":"'
    'M1","name":"Design","amount":"20000.00","planned_date":"2026-04-01"}]},"assignments":{"A-US":{"e'
    'nvelope":{"event_id":"evt-a1","event_type":"test","occurred_at":"2026-04-01T00:00:00Z","source_s'
    'ystem":"psa","correlation_id":null,"causation_id":null},"assignment_id":"A-US","revision":1,"res'
    'ource_id":"R-ANA","project_id":"P-1","role":"consultant","region":"NA","home_legal_entity":"LE-U'
    'S","start_date":"2026-04-01","end_date":"2026-04-30","hours_per_week":"40.00","cost_rate":"80.00'
    '00","cost_currency":"USD","status":"CONFIRMED"},"A-UK":{"envelope":{"event_id":"evt-a2","event_t'
    'ype":"test","occurred_at":"2026-04-01T00:00:00Z","source_system":"psa","correlation_id":null,"ca'
    'usation_id":null},"assignment_id":"A-UK","revision":1,"resource_id":"R-BEN","project_id":"P-1","'
    'role":"consultant","region":"UK","home_legal_entity":"LE-UK","start_date":"2026-04-01","end_date'
    '":"2026-04-30","hours_per_week":"40.00","cost_rate":"60","cost_currency":"GBP","status":"CONFIRM'
    'ED"}},"actuals":{"TE-1":{"revision":1,"resource_id":"R-ANA","role":"consultant","work_date":"202'
    '6-03-09","hours":"8.00","billable":true,"approved":true},"TE-2":{"revision":2,"resource_id":"R-A'
    'NA","role":"consultant","work_date":"2026-03-10","hours":"6.50","billable":true,"approved":true}'
    '},"milestones":{"M1":{"status":"ACCEPTED","period":"2026-04"}},"fx_missing":{"exc:FX_RATE_MISSIN'
    'G:P-1:GBP:USD:2026-04":{"exception_id":"exc:FX_RATE_MISSING:P-1:GBP:USD:2026-04","reason":"FX_RA'
    'TE_MISSING","message":"no GBP->USD rate on 2026-04-01: 11616.00 GBP left unconverted","project_i'
    'd":"P-1","resource_id":null,"source_event_ids":[],"amount":"11616.00","currency":"GBP","details"'
    ':{"period":"2026-04","from_currency":"GBP","to_currency":"USD","on":"2026-04-01"}}},"emitted":{"'
    'PROJECT:P-1:2026-04:backlog":{"subject_type":"PROJECT","subject_id":"P-1","period":"2026-04","me'
    'tric":"backlog","value":"97825.00","unit":"USD"},"PROJECT:P-1:2026-04:cost":{"subject_type":"PRO'
    'JECT","subject_id":"P-1","period":"2026-04","metric":"cost","value":"14080.00","unit":"USD"},"PR'
    'OJECT:P-1:2026-04:eac_cost":{"subject_type":"PROJECT","subject_id":"P-1","period":"2026-04","met'
    'ric":"eac_cost","value":"14080.00","unit":"USD"},"PROJECT:P-1:2026-04:etc_cost":{"subject_type":'
    '"PROJECT","subject_id":"P-1","period":"2026-04","metric":"etc_cost","value":"14080.00","unit":"U'
    'SD"},"PROJECT:P-1:2026-04:hours":{"subject_type":"PROJECT","subject_id":"P-1","period":"2026-04"'
    ',"metric":"hours","value":"352.00","unit":"HOURS"},"PROJECT:P-1:2026-04:margin":{"subject_type":'
    '"PROJECT","subject_id":"P-1","period":"2026-04","metric":"margin","value":"12320.00","unit":"USD'
    '"},"PROJECT:P-1:2026-04:revenue":{"subject_type":"PROJECT","subject_id":"P-1","period":"2026-04"'
    ',"metric":"revenue","value":"52800.00","unit":"USD"},"PROJECT:P-1:2026-04:entity_cost.LE-UK.GBP"'
    ':{"subject_type":"PROJECT","subject_id":"P-1","period":"2026-04","metric":"entity_cost.LE-UK.GBP'
    '","value":"10560.00","unit":"GBP"},"PROJECT:P-1:2026-04:intercompany_sale.LE-UK.GBP":{"subject_t'
    'ype":"PROJECT","subject_id":"P-1","period":"2026-04","metric":"intercompany_sale.LE-UK.GBP","val'
    'ue":"11616.00","unit":"GBP"},"PROJECT:P-1:2026-03:cost":{"subject_type":"PROJECT","subject_id":"'
    'P-1","period":"2026-03","metric":"cost","value":"1160.00","unit":"USD"},"PROJECT:P-1:2026-03:hou'
    'rs":{"subject_type":"PROJECT","subject_id":"P-1","period":"2026-03","metric":"hours","value":"14'
    '.50","unit":"HOURS"},"PROJECT:P-1:2026-03:margin":{"subject_type":"PROJECT","subject_id":"P-1","'
    'period":"2026-03","metric":"margin","value":"1015.00","unit":"USD"},"PROJECT:P-1:2026-03:revenue'
    '":{"subject_type":"PROJECT","subject_id":"P-1","period":"2026-03","metric":"revenue","value":"21'
    '75.00","unit":"USD"},"PROJECT:P-1:2026-04:recognized_revenue":{"subject_type":"PROJECT","subject'
    '_id":"P-1","period":"2026-04","metric":"recognized_revenue","value":"2175.00","unit":"USD"}},"ig'
    'nored":{"assignment_revisions":0,"time_revisions":1,"contract_versions":0}}'
)

# The next event, and the previous version's deltas (key, previous, current, id) and exceptions for it.
PROJECT_NEXT = (
    '{"envelope":{"event_id":"evt-t5","event_type":"test","occurred_at":"2026-04-01T00:00:00Z","sourc'
    'e_system":"psa","correlation_id":null,"causation_id":null},"entry_id":"TE-3","revision":1,"proje'
    'ct_id":"P-1","resource_id":"R-ANA","role":"consultant","work_date":"2026-04-01","hours":"4.00","'
    'billable":true,"approval_status":"APPROVED","description":null}'
)

PROJECT_NEXT_DELTAS = [
    ("2026-04:backlog", "97825.00", "97225.00", "fd:PROJECT:P-1:2026-04:backlog:0c6fe5c647937d79"),
    ("2026-04:hours", "352.00", "356.00", "fd:PROJECT:P-1:2026-04:hours:96dafd5692679497"),
    (
        "2026-04:recognized_revenue",
        "2175.00",
        "2775.00",
        "fd:PROJECT:P-1:2026-04:recognized_revenue:d056f22a39d51ff9",
    ),
    ("2026-04:revenue", "52800.00", "53400.00", "fd:PROJECT:P-1:2026-04:revenue:e6c06a823f326454"),
]

PROJECT_NEXT_EXCEPTIONS = []

# R-ANA on 1 April 2026: A1 and A2 over-allocate April (an open conflict), a stale A2, March and
# April time.
RESOURCE_JSON = (
    '{"resource_id":"R-ANA","region":"NA","assignments":{"A1":{"envelope":{"event_id":"evt-ra1","even'
    't_type":"test","occurred_at":"2026-04-01T00:00:00Z","source_system":"psa","correlation_id":null,'
    '"causation_id":null},"assignment_id":"A1","revision":1,"resource_id":"R-ANA","project_id":"P-1",'
    '"role":"consultant","region":"NA","home_legal_entity":"LE-US","start_date":"2026-04-01","end_dat'
    'e":"2026-05-29","hours_per_week":"30","cost_rate":"80.0000","cost_currency":"USD","status":"CONF'
    'IRMED"},"A2":{"envelope":{"event_id":"evt-ra2","event_type":"test","occurred_at":"2026-04-01T00:'
    '00:00Z","source_system":"psa","correlation_id":null,"causation_id":null},"assignment_id":"A2","r'
    'evision":1,"resource_id":"R-ANA","project_id":"P-2","role":"consultant","region":"NA","home_lega'
    'l_entity":"LE-US","start_date":"2026-04-01","end_date":"2026-04-30","hours_per_week":"20","cost_'
    'rate":"80.0000","cost_currency":"USD","status":"CONFIRMED"}},"actuals":{"TE-9":{"revision":1,"re'
    'source_id":"R-ANA","role":"consultant","work_date":"2026-04-02","hours":"7.25","billable":true,"'
    'approved":true},"TE-8":{"revision":1,"resource_id":"R-ANA","role":"consultant","work_date":"2026'
    '-03-02","hours":"8.00","billable":true,"approved":true}},"conflicts":{"exc:CAPACITY_CONFLICT:R-A'
    'NA:2026-04":{"exception_id":"exc:CAPACITY_CONFLICT:R-ANA:2026-04","reason":"CAPACITY_CONFLICT","'
    'message":"R-ANA is planned 220.00 h in 2026-04, over a gross capacity of 176.00 h, by assignment'
    's A1, A2","project_id":null,"resource_id":"R-ANA","source_event_ids":["evt-ra1","evt-ra2"],"amou'
    'nt":null,"currency":null,"details":{"period":"2026-04","assignments":"A1,A2","projects":"P-1,P-2'
    '","assigned_hours":"220.00","gross_capacity":"176.00","planned_utilization":"125.0000"}}},"emitt'
    'ed":{"RESOURCE:R-ANA:2026-04:assigned_hours":{"subject_type":"RESOURCE","subject_id":"R-ANA","pe'
    'riod":"2026-04","metric":"assigned_hours","value":"220.00","unit":"HOURS"},"RESOURCE:R-ANA:2026-'
    '04:gross_capacity":{"subject_type":"RESOURCE","subject_id":"R-ANA","period":"2026-04","metric":"'
    'gross_capacity","value":"176.00","unit":"HOURS"},"RESOURCE:R-ANA:2026-04:planned_utilization":{"'
    'subject_type":"RESOURCE","subject_id":"R-ANA","period":"2026-04","metric":"planned_utilization",'
    '"value":"125.0000","unit":"PERCENT"},"RESOURCE:R-ANA:2026-05:assigned_hours":{"subject_type":"RE'
    'SOURCE","subject_id":"R-ANA","period":"2026-05","metric":"assigned_hours","value":"126.00","unit'
    '":"HOURS"},"RESOURCE:R-ANA:2026-05:gross_capacity":{"subject_type":"RESOURCE","subject_id":"R-AN'
    'A","period":"2026-05","metric":"gross_capacity","value":"168.00","unit":"HOURS"},"RESOURCE:R-ANA'
    ':2026-05:planned_utilization":{"subject_type":"RESOURCE","subject_id":"R-ANA","period":"2026-05"'
    ',"metric":"planned_utilization","value":"75.0000","unit":"PERCENT"},"RESOURCE:R-ANA:2026-04:actu'
    'al_utilization":{"subject_type":"RESOURCE","subject_id":"R-ANA","period":"2026-04","metric":"act'
    'ual_utilization","value":"4.1193","unit":"PERCENT"},"RESOURCE:R-ANA:2026-04:billable_hours":{"su'
    'bject_type":"RESOURCE","subject_id":"R-ANA","period":"2026-04","metric":"billable_hours","value"'
    ':"7.25","unit":"HOURS"},"RESOURCE:R-ANA:2026-03:actual_utilization":{"subject_type":"RESOURCE","'
    'subject_id":"R-ANA","period":"2026-03","metric":"actual_utilization","value":"4.5455","unit":"PE'
    'RCENT"},"RESOURCE:R-ANA:2026-03:billable_hours":{"subject_type":"RESOURCE","subject_id":"R-ANA",'
    '"period":"2026-03","metric":"billable_hours","value":"8.00","unit":"HOURS"},"RESOURCE:R-ANA:2026'
    '-03:gross_capacity":{"subject_type":"RESOURCE","subject_id":"R-ANA","period":"2026-03","metric":'
    '"gross_capacity","value":"176.00","unit":"HOURS"}},"ignored":{"assignment_revisions":1,"time_rev'
    'isions":0,"contract_versions":0}}'
)

# The next event (A2 cancelled), and what the previous version emitted for it.
RESOURCE_NEXT = (
    '{"envelope":{"event_id":"evt-ra4","event_type":"test","occurred_at":"2026-04-01T00:00:00Z","sour'
    'ce_system":"psa","correlation_id":null,"causation_id":null},"assignment_id":"A2","revision":2,"r'
    'esource_id":"R-ANA","project_id":"P-2","role":"consultant","region":"NA","home_legal_entity":"LE'
    '-US","start_date":"2026-04-01","end_date":"2026-04-30","hours_per_week":"40.00","cost_rate":"80.'
    '0000","cost_currency":"USD","status":"CANCELLED"}'
)

RESOURCE_NEXT_DELTAS = [
    (
        "2026-04:assigned_hours",
        "220.00",
        "132.00",
        "fd:RESOURCE:R-ANA:2026-04:assigned_hours:a0f0cbf85af0e089",
    ),
    (
        "2026-04:planned_utilization",
        "125.0000",
        "75.0000",
        "fd:RESOURCE:R-ANA:2026-04:planned_utilization:ab1bfb22eaea5178",
    ),
]

RESOURCE_NEXT_EXCEPTIONS = [("exc:CAPACITY_CONFLICT:R-ANA:2026-04", "RESOLVED")]

# What the previous version emitted reforecasting the state above with a GBP->USD rate of 1.25.
PROJECT_RATED_DELTAS = [
    ("2026-04:cost", "14080.00", "28600.00", "fd:PROJECT:P-1:2026-04:cost:024e6fa1d24f7444"),
    ("2026-04:eac_cost", "14080.00", "29760.00", "fd:PROJECT:P-1:2026-04:eac_cost:0e9c0c6bf9b1dc2e"),
    ("2026-04:etc_cost", "14080.00", "28600.00", "fd:PROJECT:P-1:2026-04:etc_cost:96bee8b0cf466ef6"),
    (
        "2026-04:intercompany_cost",
        None,
        "14520.00",
        "fd:PROJECT:P-1:2026-04:intercompany_cost:136df390bc440758",
    ),
    ("2026-04:margin", "12320.00", "24200.00", "fd:PROJECT:P-1:2026-04:margin:7223acfefba87916"),
]

PROJECT_RATED_EXCEPTIONS = [("exc:FX_RATE_MISSING:P-1:GBP:USD:2026-04", "RESOLVED")]
