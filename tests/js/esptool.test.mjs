// esptool-js (Espressif's JavaScript esptool, not written by this project) against espprov-sim's ROM loader:
// reset into download mode through the DTR/RTS model, chip detection, MAC, flash size detection, compressed and
// plain flash writes verified by the ROM's MD5 and by the image file. ESPPROV_SIM names the simulator binary.
import { spawn } from "node:child_process";
import { createHash } from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import readline from "node:readline";
import { test } from "node:test";
import assert from "node:assert/strict";

import { ESPLoader, Transport } from "esptool-js";
import { PtySerialPort, controlCommand } from "./webserial-shim.js";

const SIM = process.env.ESPPROV_SIM;

async function startSimulator(args) {
  const state = fs.mkdtempSync(path.join(os.tmpdir(), "espprov-js-"));
  const child = spawn(SIM, ["--state", state, ...args], { stdio: ["ignore", "pipe", "inherit"] });
  const lines = readline.createInterface({ input: child.stdout });
  const first = await new Promise((resolve, reject) => {
    lines.once("line", resolve);
    child.once("exit", (code) => reject(new Error(`espprov-sim exited with ${code}`)));
  });
  const stop = async () => {
    const exited = new Promise((resolve) => child.once("exit", resolve));
    child.kill("SIGTERM");
    await exited;
    fs.rmSync(state, { recursive: true, force: true });
  };
  return { devices: JSON.parse(first), control: path.join(state, "control"), stop };
}

function quietTerminal(log) {
  return { clean() {}, writeLine: (s) => log.push(s), write: (s) => log.push(s) };
}

function md5Hex(bytes) {
  return createHash("md5").update(bytes).digest("hex");
}

// The ROM answers SPI_FLASH_MD5 with 32 ASCII hex characters; esptool-js hex-encodes whatever it got.
function romMd5(hexOfAscii) {
  return Buffer.from(hexOfAscii, "hex").toString("ascii");
}

function pattern(size, seed) {
  const out = new Uint8Array(size);
  let x = seed;
  for (let i = 0; i < size; i++) {
    x = (x * 1103515245 + 12345) >>> 0;
    out[i] = x >>> 16;
  }
  return out;
}

async function connect(device, control, log) {
  const port = new PtySerialPort(device.port, { controlSocket: control });
  const transport = new Transport(port, process.env.ESPPROV_JS_TRACE === "1");
  const loader = new ESPLoader({ transport, baudrate: 115200, romBaudrate: 115200, terminal: quietTerminal(log) });
  await loader.connect("default_reset", 7, true);
  return { port, transport, loader };
}

test("esptool-js resets an ESP32-C3 into download mode, detects it, reads its MAC and writes flash", async () => {
  assert.ok(SIM, "ESPPROV_SIM must name the espprov-sim binary");
  const sim = await startSimulator(["--count", "2", "--chip", "esp32c3", "--boot", "app"]);
  const log = [];
  try {
    const device = sim.devices[1];
    const { port, transport, loader } = await connect(device, sim.control, log);
    assert.equal(loader.chip.CHIP_NAME, "ESP32-C3");
    assert.equal((await loader.chip.readMac(loader)).toUpperCase(), device.mac);

    const plain = pattern(6000, 11);
    const packed = pattern(20000, 5).map((b, i) => (i % 7 === 0 ? b : 0));
    await loader.writeFlash({
      fileArray: [
        { data: packed, address: 0x20000 },
        { data: plain, address: 0x30000 },
      ],
      flashSize: "detect",
      flashMode: "keep",
      flashFreq: "keep",
      eraseAll: false,
      compress: true,
    });
    assert.ok(log.some((line) => String(line).includes("Detected flash size set to 4MB")), log.join("\n"));
    assert.equal(romMd5(await loader.flashMd5sum(0x20000, packed.length)), md5Hex(packed));
    assert.equal(romMd5(await loader.flashMd5sum(0x30000, plain.length)), md5Hex(plain));

    await loader.writeFlash({
      fileArray: [{ data: plain, address: 0x40000 }],
      flashSize: "keep",
      flashMode: "keep",
      flashFreq: "keep",
      eraseAll: false,
      compress: false,
    });
    assert.equal(romMd5(await loader.flashMd5sum(0x40000, plain.length)), md5Hex(plain));

    const image = fs.readFileSync(device.flash);
    assert.equal(md5Hex(image.subarray(0x20000, 0x20000 + packed.length)), md5Hex(packed));
    assert.equal(md5Hex(image.subarray(0x40000, 0x40000 + plain.length)), md5Hex(plain));

    // A hard reset as esptool does it: EN pulled low through RTS, then released with GPIO0 high. (esptool-js's
    // own "hard_reset" only releases RTS, which does not pulse EN after its connect sequence left RTS released.)
    await transport.setRTS(true);
    await new Promise((resolve) => setTimeout(resolve, 100));
    await transport.setRTS(false);
    await port.settled();
    const modes = JSON.parse(await controlCommand(sim.control, "list"));
    assert.equal(modes[1].mode, "app");
    await transport.disconnect();
  } finally {
    await sim.stop();
  }
});

test("esptool-js detects an ESP32 by its magic register when GET_SECURITY_INFO is unsupported", async () => {
  const sim = await startSimulator(["--count", "1", "--chip", "esp32"]);
  const log = [];
  try {
    const device = sim.devices[0];
    const { transport, loader } = await connect(device, sim.control, log);
    assert.equal(loader.chip.CHIP_NAME, "ESP32");
    assert.equal((await loader.chip.readMac(loader)).toUpperCase(), device.mac);
    await transport.disconnect();
  } finally {
    await sim.stop();
  }
});
