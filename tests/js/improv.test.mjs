// improv-wifi-serial-sdk (the Improv Wi-Fi serial client used by esp-web-tools, not written by this project)
// against espprov-sim's firmware in app mode through the Web-Serial shim: detection and device info, scan,
// provisioning with special-character SSIDs and passwords, and a wrong password reported as "unable to connect".
import { spawn } from "node:child_process";
import fs from "node:fs";
import { register } from "node:module";
import os from "node:os";
import path from "node:path";
import readline from "node:readline";
import { test } from "node:test";
import assert from "node:assert/strict";

import { PtySerialPort } from "./webserial-shim.js";

register("./sdk-esm-hooks.mjs", import.meta.url);
// Only the serial client: the package's main entry is a web component that needs a DOM.
const { ImprovSerial } = await import("improv-wifi-serial-sdk/dist/serial.js");

const SIM = process.env.ESPPROV_SIM;

async function startSimulator(args) {
  const state = fs.mkdtempSync(path.join(os.tmpdir(), "espprov-js-"));
  const child = spawn(SIM, ["--state", state, "--baud-pacing", "off", ...args], {
    stdio: ["ignore", "pipe", "inherit"],
  });
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
  return { devices: JSON.parse(first), stop };
}

// Reads the console until `text` appears (the firmware's +READY), then hands the stream back. The SDK re-sends its
// first request every second until answered, and a re-send that overlaps another write fails with "WritableStream
// is locked" (its writes are not serialized); a device that is ready answers the first request at once.
async function waitForText(port, text, timeoutMs) {
  const reader = port.readable.getReader();
  let seen = "";
  const deadline = Date.now() + timeoutMs;
  try {
    while (!seen.includes(text)) {
      const left = deadline - Date.now();
      const result = await Promise.race([
        reader.read(),
        new Promise((resolve) => setTimeout(() => resolve({ timedOut: true }), Math.max(left, 0))),
      ]);
      if (result.timedOut || result.done) throw new Error(`no ${text} within ${timeoutMs} ms: ${JSON.stringify(seen)}`);
      seen += Buffer.from(result.value).toString("latin1");
    }
  } finally {
    reader.releaseLock();
  }
}

// The SDK takes the port's writer for each frame and releases it after the write resolves, without serializing
// its writes. The shim's asynchronous write can resolve after the device's answer is already processed, so the next
// request finds the writer still locked ("WritableStream is locked"). A browser's write resolves once the bytes are
// queued; so does this one (a few bytes to a pty never block).
function writeSynchronously(port) {
  const fd = port.writeFd;
  port.writable = new WritableStream({
    write(chunk) {
      const bytes = Buffer.from(chunk);
      for (let offset = 0; offset < bytes.length; ) offset += fs.writeSync(fd, bytes, offset);
    },
  });
}

function quietLogger(lines) {
  const keep = (...args) => lines.push(args.map(String).join(" "));
  return { log: keep, debug: keep, error: keep };
}

// The simulator's built-in SSIDs (every special character class), each with a passphrase WPA2 allows (the
// built-in table pairs the UTF-8 SSID with a non-ASCII password, which the contract refuses: PROTOCOL.md 5.2).
const HOSTILE = [
  ["Cafe, \"Guest\" = free", "p@ss,word=\"x\""],
  ["back\\slash net", "back\\slash\\pass"],
  ["Café ☕ Straße", "Gr\\u00fcn \"wald\", =x"],
  ["ABCDEFGHIJKLMNOPQRSTUVWXYZ012345", "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"],
  ["open lobby", ""],
  ["spaces  and ,,commas,", " lead and trail "],
];

function writeAccessPoints() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "espprov-js-aps-"));
  const file = path.join(dir, "aps.json");
  const aps = HOSTILE.map(([ssid, password], i) => ({
    ssid,
    password,
    rssi: -50 - i,
    auth: password === "" ? "open" : "wpa2",
    channel: 6,
    connect_ms: 150,
  }));
  fs.writeFileSync(file, JSON.stringify(aps));
  return { file, remove: () => fs.rmSync(dir, { recursive: true, force: true }) };
}

test("improv-wifi-serial-sdk detects the firmware, scans and provisions special-character networks", async () => {
  assert.ok(SIM, "ESPPROV_SIM must name the espprov-sim binary");
  const aps = writeAccessPoints();
  const sim = await startSimulator(["--count", "1", "--chip", "esp32c3", "--boot", "app", "--aps", aps.file]);
  const log = [];
  const port = new PtySerialPort(sim.devices[0].port);
  try {
    await port.open({ baudRate: 115200 });
    writeSynchronously(port);
    await waitForText(port, "+READY", 5000);
    const improv = new ImprovSerial(port, quietLogger(log));
    const info = await improv.initialize(5000);
    assert.equal(info.chipFamily, "ESP32-C3");
    const macTail = sim.devices[0].mac.split(":").slice(3).join("").toLowerCase();
    assert.equal(info.name, `espprov-${macTail}`);
    assert.ok(info.firmware.length > 0 && info.version.length > 0, JSON.stringify(info));
    assert.equal(improv.state, 2); // ready: no authorization step

    const networks = await improv.scan(10000);
    for (const [ssid, password] of HOSTILE) {
      const found = networks.find((n) => n.name === ssid);
      assert.ok(found, `scan lacks ${ssid}: ${JSON.stringify(networks)}`);
      assert.equal(found.secured, password !== "");
    }

    await assert.rejects(improv.provision("Cafe, \"Guest\" = free", "not the password", 10000), (error) => {
      assert.equal(error, "UNABLE_TO_CONNECT");
      return true;
    });

    for (const [ssid, password] of HOSTILE) {
      await improv.provision(ssid, password, 10000);
      assert.equal(improv.state, 4, `not provisioned on ${ssid}`); // provisioned
      assert.equal(improv.nextUrl, undefined); // no redirect URL configured
    }
    await improv.close();
  } catch (error) {
    console.error(log.join("\n"));
    throw error;
  } finally {
    await port.close();
    await sim.stop();
    aps.remove();
  }
});
