// A Web-Serial-style SerialPort over a pseudo-terminal, so browser serial clients (esptool-js,
// improv-wifi-serial-sdk) can run under Node against espprov-sim.
//
//   const port = new PtySerialPort("/dev/pts/7", { controlSocket: "<state>/control" });
//   await port.open({ baudRate: 115200 });  // port.readable / port.writable are WHATWG streams
//
// Modem lines: a pty has none, so setSignals() models the classic two-transistor auto-reset circuit of
// USB-UART boards (EN low while RTS is asserted and DTR is not; GPIO0 low while DTR is asserted and RTS is not)
// and tells the simulator through its control socket when the chip leaves reset, in which mode.
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import net from "node:net";
import tty from "node:tty";

// The RC network on EN delays the chip's release from reset by a few ms; GPIO0 is sampled then. The classic
// reset sequence relies on it (DTR and RTS change one after the other, never together).
const EN_RC_DELAY_MS = 2;

export function controlCommand(socketPath, line) {
  return new Promise((resolve, reject) => {
    const socket = net.createConnection(socketPath);
    let answer = "";
    socket.on("connect", () => socket.write(line + "\n"));
    socket.on("data", (chunk) => {
      answer += chunk.toString("utf8");
      const end = answer.indexOf("\n");
      if (end >= 0) {
        socket.end();
        resolve(answer.slice(0, end));
      }
    });
    socket.on("error", reject);
  });
}

export class PtySerialPort {
  constructor(path, { controlSocket = null, usbVendorId = 0x10c4, usbProductId = 0xea60 } = {}) {
    this.path = path;
    this.controlSocket = controlSocket;
    // A CP210x USB-UART by default, so clients pick the classic DTR/RTS reset (not the USB-JTAG sequence).
    this.info = { usbVendorId, usbProductId };
    this.readable = null;
    this.writable = null;
    this.signals = { dataTerminalReady: false, requestToSend: false };
    this.pendingControl = Promise.resolve();
  }

  getInfo() {
    return this.info;
  }

  async open({ baudRate = 115200 } = {}) {
    if (this.readable) throw new DOMException("The port is already open.", "InvalidStateError");
    this.applyLineSettings(baudRate);
    this.readFd = fs.openSync(this.path, fs.constants.O_RDWR | fs.constants.O_NOCTTY);
    this.writeFd = fs.openSync(this.path, fs.constants.O_RDWR | fs.constants.O_NOCTTY);
    this.input = new tty.ReadStream(this.readFd);
    this.input.setRawMode(true);
    const input = this.input;
    this.readable = new ReadableStream({
      start(controller) {
        input.on("data", (chunk) => controller.enqueue(new Uint8Array(chunk)));
        input.on("close", () => {
          try {
            controller.close();
          } catch {
            // already closed by cancel()
          }
        });
      },
      cancel() {
        input.pause();
      },
    });
    const writeFd = this.writeFd;
    this.writable = new WritableStream({
      write(chunk) {
        return new Promise((resolve, reject) => {
          const bytes = Buffer.from(chunk);
          const writeFrom = (offset) =>
            fs.write(writeFd, bytes, offset, bytes.length - offset, null, (error, written) => {
              if (error) return reject(error);
              if (offset + written < bytes.length) return writeFrom(offset + written);
              resolve();
            });
          writeFrom(0);
        });
      },
    });
  }

  // Baud, 8N1, raw: what a serial driver would program; the simulator paces at the baud the device uses.
  applyLineSettings(baudRate) {
    try {
      execFileSync("stty", ["-F", this.path, String(baudRate), "raw", "-echo"], { stdio: "ignore" });
    } catch {
      // stty missing: the port stays as the simulator configured it (raw, 115200)
    }
  }

  async setBaudRate(baudRate) {
    this.applyLineSettings(baudRate);
  }

  async setSignals(changes = {}) {
    const wasInReset = this.chipInReset();
    for (const key of ["dataTerminalReady", "requestToSend"]) {
      if (typeof changes[key] === "boolean") this.signals[key] = changes[key];
    }
    if (wasInReset && !this.chipInReset() && this.controlSocket) {
      this.pendingControl = new Promise((resolve) => setTimeout(resolve, EN_RC_DELAY_MS)).then(() => {
        const mode = this.gpio0Low() ? "download" : "reset";
        return controlCommand(this.controlSocket, `${mode} ${this.path}`);
      });
    }
  }

  async getSignals() {
    return { dataCarrierDetect: true, clearToSend: true, ringIndicator: false, dataSetReady: true };
  }

  chipInReset() {
    return this.signals.requestToSend && !this.signals.dataTerminalReady;
  }

  gpio0Low() {
    return this.signals.dataTerminalReady && !this.signals.requestToSend;
  }

  // Resolves once the simulator has acted on the last reset (tests use it before asserting on modes).
  settled() {
    return this.pendingControl;
  }

  async close() {
    await this.pendingControl.catch(() => {});
    if (this.input) this.input.destroy();
    if (this.writeFd !== undefined) fs.closeSync(this.writeFd);
    this.input = null;
    this.writeFd = undefined;
    this.readable = null;
    this.writable = null;
  }
}
