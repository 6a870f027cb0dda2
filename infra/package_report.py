"""Each function's deployment package as `sam build` left it: the zip that
`sam deploy` uploads, measured here by zipping the build folder the same way."""

import io
import sys
import zipfile
from pathlib import Path

build = Path(sys.argv[1] if len(sys.argv) > 1 else ".aws-sam/build")
functions = sorted(p for p in build.iterdir() if (p / "bootstrap").is_file())
if not functions:
    sys.exit(f"{build}: no function was built (no */bootstrap)")
for function in functions:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for path in sorted(function.rglob("*")):
            if path.is_file():
                archive.write(path, path.relative_to(function))
    binary = (function / "bootstrap").stat().st_size
    print(f"{function.name}: bootstrap {binary / 1e6:.1f} MB, zip {len(buffer.getvalue()) / 1e6:.1f} MB")
