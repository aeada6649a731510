"""Golden values for the Cyton decoder: BrainFlow's own Cyton (board 0) and Cyton+Daisy (board 2)
drivers decode the protocol spec's test vectors, served over a pseudo-terminal.

Run with the venv python: .venv/bin/python scripts/golden/acquire.py
Writes tests/golden/acquire/brainflow_vectors.json: for each board, the packets sent (hex) and the
rows BrainFlow returned (package number, EEG µV, accel g, footer).
"""
import json
import os
import pathlib
import threading
import time
import tty

from brainflow.board_shim import BoardShim, BrainFlowInputParams

ROOT = pathlib.Path(__file__).resolve().parents[2]
OUT = ROOT / "tests/golden/acquire/brainflow_vectors.json"

# Protocol spec §8 (shared/docs/openbci-protocol.md).
TV = {
    "TV1": "A0 05 00 00 01 FF FF FF 7F FF FF 80 00 00 12 34 56 ED CB AA 00 00 00 00 FF 00 00 10 FF F0 1F 40 C0",
    "TV2": "A0 06 FF FF FE 00 00 02 FF FC 18 00 03 E8 FF F0 00 00 10 00 80 00 01 7F FF 00 00 00 00 00 00 00 C0",
    "TV3": "A0 2A 00 00 64 FF FF 9C 00 00 C8 FF FF 38 00 01 2C FF FE D4 00 01 90 FF FE 70 02 00 03 FF 00 00 C1",
    "TV6": "A0 02 FF FC 18 FF F8 30 FF F4 48 FF F0 60 FF EC 78 FF E8 90 FF E4 A8 FF E0 C0 03 20 FC E0 1F 40 C0",
    "TV7": "A0 03 00 03 E8 00 07 D0 00 0B B8 00 0F A0 00 13 88 00 17 70 00 1B 58 00 1F 40 00 00 00 00 00 00 C0",
}
BANNER = (b"OpenBCI V3 8-16 channel\nOn Board ADS1299 Device ID: 0x3E\nLIS3DH Device ID: 0x33\n"
          b"Firmware: v3.1.2\n$$$")


def serve(master, packets, stop):
    os.set_blocking(master, False)
    while not stop.is_set():
        try:
            data = os.read(master, 64)
        except BlockingIOError:
            data = b""
        for c in data:
            if c == ord("v"):
                os.write(master, BANNER)
            elif c == ord("d"):
                os.write(master, b"updating channel settings to default$$$")
            elif c == ord("b"):
                time.sleep(0.05)
                os.write(master, packets)
        time.sleep(0.002)


def run(board_id, names):
    packets = b"".join(bytes.fromhex(TV[n]) for n in names)
    master, slave = os.openpty()
    tty.setraw(slave)
    stop = threading.Event()
    t = threading.Thread(target=serve, args=(master, packets, stop), daemon=True)
    t.start()
    try:
        p = BrainFlowInputParams()
        p.serial_port = os.ttyname(slave)
        b = BoardShim(board_id, p)
        b.prepare_session()
        b.start_stream()
        time.sleep(1.0)
        data = b.get_board_data()
        b.stop_stream()
        b.release_session()
    finally:
        stop.set()
        t.join()
        os.close(master)
        os.close(slave)
    eeg = BoardShim.get_eeg_channels(board_id)
    acc = BoardShim.get_accel_channels(board_id)
    rows = []
    for i in range(data.shape[1]):
        rows.append({"package": data[BoardShim.get_package_num_channel(board_id), i],
                     "eeg_uv": [data[r, i] for r in eeg], "accel_g": [data[r, i] for r in acc]})
    return {"board_id": board_id, "packets": [TV[n] for n in names], "names": names, "rows": rows}


def main():
    BoardShim.disable_board_logger()
    golden = {"brainflow_version": BoardShim.get_version(),
              "cyton": run(0, ["TV1", "TV2", "TV3", "TV6", "TV7"]),
              "cyton_daisy": run(2, ["TV6", "TV7"])}
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps(golden, indent=1))
    print(f"wrote {OUT}: {len(golden['cyton']['rows'])} + {len(golden['cyton_daisy']['rows'])} rows")


if __name__ == "__main__":
    main()
