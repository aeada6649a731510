"""Write the (large) epoch arrays the decode Rust tests read, into target/golden/decode/.

Run with the venv python before the Rust tests (scripts/test.sh does; the Rust tests also run it
themselves when the files are missing). Nothing here is committed: the arrays are rebuilt from the
real recordings with MNE each time, the same way scripts/golden/decode.py builds them.

    .venv/bin/python scripts/golden/decode_inputs.py
"""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import decode_common as dc  # noqa: E402


def main():
    for s in dc.MI_SUBJECTS:
        x, labels, onsets, runs = dc.load_mi_subject(s)
        dc.write_array(dc.INPUTS / f"mi_S{s:03d}.f64", x,
                       {"labels": labels, "onsets": onsets, "runs": runs, "sfreq": 160.0})
    for name in dc.SSVEP_FILES:
        x, freqs, onsets, sf, chs = dc.load_ssvep_file(name)
        dc.write_array(dc.INPUTS / f"ssvep_{Path(name).stem}.f64", x,
                       {"freqs": freqs, "onsets": onsets, "sfreq": sf, "channels": chs})
    print(f"wrote {dc.INPUTS}")


if __name__ == "__main__":
    main()
