#!/usr/bin/env python3
"""The reference side of `scripts/bench nvs_batch`: Espressif's nvs_partition_gen.py, in-process.

Usage: nvs_batch_reference.py GENERATOR DEFINITIONS VALUES OUTDIR SIZE
GENERATOR is the path of Espressif's nvs_partition_gen.py (the single-file generator ESP-IDF shipped up to v5.1;
later versions install it as the esp-idf-nvs-partition-gen package). Nothing is downloaded: without it the
benchmark reports espprov's figures alone. Each values row becomes one image through the generator's own
nvs_open / write_entry / nvs_close, in one Python process (what mfg_gen does per device, minus the process start),
and a manifest CSV is written, so both sides do the same work. Prints the elapsed seconds.
"""
import csv
import importlib.util
import io
import os
import sys
import time


def main():
    generator, definitions_path, values_path, outdir, size = sys.argv[1:6]
    spec = importlib.util.spec_from_file_location('nvs_partition_gen', generator)
    gen = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(gen)
    with open(definitions_path, newline='') as f:
        definitions = list(csv.reader(f))[1:]
    with open(values_path, newline='') as f:
        rows = list(csv.reader(f))
    header, rows = rows[0], rows[1:]
    column = {name: i for i, name in enumerate(header)}
    os.makedirs(outdir, exist_ok=True)
    size = int(size, 0)
    manifest = io.StringIO()
    start = time.perf_counter()
    for row in rows:
        device_id = row[column['id']]
        path = os.path.join(outdir, 'ref-%s.bin' % device_id)
        with open(path, 'wb') as out:
            nvs = gen.nvs_open(out, size, gen.Page.VERSION2)
            for key, kind, encoding, default in definitions:
                if kind == 'namespace':
                    gen.write_entry(nvs, key, kind, encoding, default)
                else:
                    value = row[column[key]] if key in column else default
                    gen.write_entry(nvs, key, kind, encoding, value)
            gen.nvs_close(nvs)
        manifest.write('%s,%s\r\n' % (device_id, path))
    with open(os.path.join(outdir, 'ref-manifest.csv'), 'w') as f:
        f.write(manifest.getvalue())
    print('%.6f' % (time.perf_counter() - start))


if __name__ == '__main__':
    main()
