#!/usr/bin/env python3
# Runs Espressif's nvs_tool integrity check (the same function `nvs_tool.py -i` calls, from the unmodified reader
# in TOOL_DIR) over many partition images in one Python process, so a sweep over hundreds of images does not pay
# for hundreds of interpreter starts. Prints, per image, "== NAME" and then every line the check printed.
#
#   nvs_tool_batch.py TOOL_DIR IMAGE...
import contextlib
import io
import sys

sys.path.insert(0, sys.argv[1])
import nvs_logger  # noqa: E402
import nvs_parser  # noqa: E402

nvs_logger.nvs_log.set_color('never')
for path in sys.argv[2:]:
    with open(path, 'rb') as f:
        data = bytearray(f.read())
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        partition = nvs_parser.NVS_Partition(path.split('/')[-1], data)
        nvs_logger.integrity_check(partition)
    print('== ' + path)
    print(out.getvalue(), end='')
