#!/usr/bin/env python3
# read_shapes.py — writes inputs of about N bytes in each shape that stresses a file reader's
# memory (docs/ir.md, "Out of memory"): empty slots, many short actions or events, wide and deep
# nesting, long strings, unknown members a reader must skip, and tiny files declaring huge sizes.
# Prints one line per file: "KIND VALID PATH" (KIND: the ppsim-bench-read reader; VALID: 1 when
# the reader must accept the file, 0 when it must refuse it, never for memory).
#
#   python3 tools/read_shapes.py DIR BYTES
import json
import os
import sys

out_dir, target = sys.argv[1], int(sys.argv[2])
os.makedirs(out_dir, exist_ok=True)
made = []


def put(name, kind, valid, text):
    path = os.path.join(out_dir, name)
    with open(path, "w") as f:
        f.write(text)
    made.append((kind, valid, path))


def repeat(unit, budget):
    """unit repeated to fill about budget bytes, at least once."""
    return max(1, budget // len(unit))


def schedule(ranks, stages, mbs, programs_text):
    return ('{"format":"ppsim-schedule","version":1,"ranks":%d,"stages":%d,"microbatches":%d,'
            '"placement":"loop","programs":%s}' % (ranks, stages, mbs, programs_text))


# --- schedule JSON
n = repeat('"",', target)
put("sched-idle.json", "schedule", 1, schedule(1, 1, 1, "[[" + ",".join(['""'] * n) + "]]"))
m = repeat('"0F99999","0B99999",', target)
acts = ",".join('"0F%d","0B%d"' % (i, i) for i in range(m))
put("sched-actions.json", "schedule", 1, schedule(1, 1, m, "[[" + acts + "]]"))
r = min(65536, repeat("[],", target))
put("sched-ranks.json", "schedule", 1, schedule(r, r, 1, "[" + ",".join(["[]"] * r) + "]"))
put("sched-nulls.json", "schedule", 0,
    schedule(1, 1, 1, "[[" + ",".join(["null"] * repeat("null,", target)) + "]]"))
put("sched-zeros.json", "schedule", 0,
    schedule(1, 1, 1, '[[]],"x":[' + ",".join(["0"] * repeat("0,", target)) + "]"))
put("sched-deep.json", "schedule", 0,
    schedule(1, 1, 1, '[[]],"x":[' + ",".join(["[" * 900 + "]" * 900] * repeat("[]" * 900 + ",", target)) + "]"))
put("sched-string.json", "schedule", 0, schedule(1, 1, 1, '[["' + "F" * target + '"]]'))
put("sched-keys.json", "schedule", 0,
    schedule(1, 1, 1, '[[]],"x":{' + ",".join('"%x":0' % i for i in range(repeat('"ffffff":0,', target))) + "}"))
put("sched-header.json", "schedule", 0,
    schedule(1, 1, 1, '[[]],"name":[' + ",".join(["0"] * repeat("0,", target)) + "]"))
put("sched-bigdecl.json", "schedule", 1, schedule(1, 1, 1 << 24, '[["0F0","0B16777215"]]'))

# --- PyTorch CSV
put("csv-idle.csv", "csv", 1, "0F0" + "," * target + "\n")
rows = min(65536, repeat("0F0,,,,\n", target))
put("csv-rows.csv", "csv", 1,
    "".join("%dF0%s\n" % (i, "," * max(0, target // rows - 8)) for i in range(rows)))
m = repeat("0F99999,0B99999,", target)
put("csv-actions.csv", "csv", 1, ",".join("0F%d,0B%d" % (i, i) for i in range(m)) + "\n")
put("csv-bigmb.csv", "csv", 1, "0F0,0F16777215\n")
put("csv-bigstage.csv", "csv", 0, "0F0,16777215F0\n")

# --- timeline JSON
def timeline(stages, mbs, incomplete, events, extra=""):
    return ('{"format":"ppsim-timeline","version":1,"source":"simulated","ranks":1,"stages":%d,'
            '"microbatches":%d,"incomplete":%s%s,"events":[%s]}'
            % (stages, mbs, "true" if incomplete else "false", extra, events))


m = repeat('[0,"compute","0F99999",999999,999999],' * 2, target)
ev = ",".join('[0,"compute","0F%d",%d,%d],[0,"compute","0B%d",%d,%d]'
              % (i, 2 * i, 2 * i + 1, i, 2 * i + 1, 2 * i + 2) for i in range(m))
put("tl-events.json", "timeline", 1, timeline(1, m, False, ev))
put("tl-idle.json", "timeline", 1,
    timeline(1, 1, True, ",".join(['[0,"compute","",0,0]'] * repeat('[0,"compute","",0,0],', target))))
s = min(1 << 24, repeat("0,", target))
put("tl-actbytes.json", "timeline", 1,
    timeline(s, 1, True, '[0,"compute","0F0",0,1]', ',"act_bytes":[' + ",".join(["0"] * s) + "]"))
put("tl-bigdecl.json", "timeline", 1,
    timeline(1, 1 << 24, True, '[0,"compute","0F0",0,1],[0,"compute","0B16777215",1,2]'))
put("tl-header.json", "timeline", 0,
    timeline(1, 1, True, "", ',"note":{"x":[' + ",".join(["0"] * repeat("0,", target)) + "]}"))
put("tl-zeros.json", "timeline", 0,
    timeline(1, 1, True, "", ',"x":[' + ",".join(["0"] * repeat("0,", target)) + "]"))

# --- costs JSON
s = min(1 << 24, repeat("{},", target))
put("costs-stages.json", "costs", 1,
    '{"format":"ppsim-costs","version":1,"stages":[' + ",".join(["{}"] * s) + "]}")
put("costs-zeros.json", "costs", 0,
    '{"format":"ppsim-costs","version":1,"x":[' + ",".join(["0"] * repeat("0,", target)) + "]}")
put("costs-uniform.json", "costs", 0,
    '{"format":"ppsim-costs","version":1,"uniform":{"x":[' + ",".join(["0"] * repeat("0,", target)) + "]}}")
put("costs-keys.json", "costs", 0,
    '{"format":"ppsim-costs","version":1,"uniform":{' + ",".join('"%x":{}' % i for i in range(repeat('"ffffff":{},', target))) + "}}")
put("costs-element.json", "costs", 0,
    '{"format":"ppsim-costs","version":1,"stages":[{"x":[' + ",".join(["0"] * repeat("0,", target)) + "]}]}")
put("costs-string.json", "costs", 0,
    '{"format":"ppsim-costs","version":1,"comm":"' + "x" * target + '"}')

# --- profile JSON
entry = ('{"stage":%d,"rank":0,"tf":1,"tb":1,"ti":1,"tw":1,"act_bytes":1,"act_w_bytes":1,'
         '"send_bytes":1,"repeats":1}')
s = min(1 << 24, repeat(entry % 999999 + ",", target))
put("profile-stages.json", "profile", 1,
    '{"format":"ppsim-profile","version":1,"backend":"cpu","ranks":1,"stages":%d,'
    '"stage_costs":[%s],"links":[]}' % (s, ",".join(entry % i for i in range(s))))
link = '{"src":0,"dst":1,"bytes":1,"latency":1,"bandwidth":1,"repeats":1}'
put("profile-links.json", "profile", 1,
    '{"format":"ppsim-profile","version":1,"backend":"cpu","ranks":2,"stages":1,'
    '"stage_costs":[%s],"links":[%s]}' % (entry % 0, ",".join([link] * repeat(link + ",", target))))
put("profile-element.json", "profile", 0,
    '{"format":"ppsim-profile","version":1,"backend":"cpu","ranks":1,"stages":1,'
    '"stage_costs":[{"x":[' + ",".join(["0"] * repeat("0,", target)) + ']}],"links":[]}')
put("profile-zeros.json", "profile", 0,
    '{"format":"ppsim-profile","version":1,"x":[' + ",".join(["0"] * repeat("0,", target)) + "]}")

# --- model JSON
put("model-zeros.json", "model", 0,
    '{"format":"ppsim-model","version":1,"model":{"x":[' + ",".join(["0"] * repeat("0,", target)) + "]}}")
put("model-deep.json", "model", 0,
    '{"format":"ppsim-model","version":1,"x":[' + ",".join(["[" * 900 + "]" * 900] * repeat("[]" * 900 + ",", target)) + "]}")

for kind, valid, path in made:
    print(kind, valid, path)
