#!/usr/bin/env bash
# Seeds the loader frame corpus with recorded ROM answers: a READ_REG answer (ESP32-C3 magic), an error status,
# an SPI_FLASH_MD5 answer behind a boot banner, and an escaped frame. The first byte of each input sets the split.
set -euo pipefail
out=$1
printf '\x03\xc0\x01\x0a\x04\x00\x6f\x50\x21\x69\x00\x00\x00\x00\xc0' >"$out/read_reg.bin"
printf '\x01\xc0\x01\x03\x04\x00\x00\x00\x00\x00\x01\x07\x00\x00\xc0' >"$out/error.bin"
printf '\x07ESP-ROM:esp32c3-api1-20210207\r\nwaiting for download\r\n\xc0\x01\x13\x24\x00\x00\x00\x00\x00d41d8cd98f00b204e9800998ecf8427e\x00\x00\x00\x00\xc0' >"$out/md5.bin"
printf '\x02\xc0\x01\x0a\x04\x00\xdb\xdc\xdb\xdd\x00\x00\x00\x00\x00\x00\xc0\xc0\xdb\x41\xc0' >"$out/escapes.bin"
