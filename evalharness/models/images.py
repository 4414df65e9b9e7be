"""Images of chat cases: a file path or a `data:image/...;base64,` URL, read with bounds, checked
with Pillow, turned into what a processor (PIL) or an OpenAI server (a data URL) takes."""

from __future__ import annotations

import base64
import binascii
import io
import mimetypes
import re
from pathlib import Path
from typing import Any

MAX_IMAGE_BYTES = 20 << 20
MAX_PIXELS = 64_000_000  # Pillow's own decompression-bomb guard is at ~89 Mpx
DATA_URL = re.compile(r"^data:(image/[\w.+-]+);base64,(.*)$", re.DOTALL)


def is_data_url(ref: str) -> bool:
    return ref.startswith("data:")


def data_url_problem(ref: str) -> str | None:
    """Why a data URL is not a base64 image (pure: no I/O), else None."""
    match = DATA_URL.match(ref)
    if not match:
        return "a data URL must read data:image/<type>;base64,<data>"
    if len(match.group(2)) > MAX_IMAGE_BYTES * 4 // 3 + 4:
        return f"the image is larger than {MAX_IMAGE_BYTES >> 20} MiB"
    try:
        base64.b64decode(match.group(2), validate=True)
    except (binascii.Error, ValueError):
        return "the data URL's base64 does not decode"
    return None


def image_bytes(ref: str) -> tuple[bytes, str]:
    """(bytes, MIME type) of a data URL or an image file (ValueError/OSError saying why not)."""
    if is_data_url(ref):
        problem = data_url_problem(ref)
        if problem:
            raise ValueError(problem)
        match = DATA_URL.match(ref)
        assert match is not None
        return base64.b64decode(match.group(2)), match.group(1)
    path = Path(ref)
    if not path.is_file():
        raise OSError(f"{ref}: " + ("not a regular file" if path.exists() else "no such image file"))
    if path.stat().st_size > MAX_IMAGE_BYTES:
        raise ValueError(f"{ref}: larger than {MAX_IMAGE_BYTES >> 20} MiB")
    mime = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
    return path.read_bytes(), mime


def image_problem(ref: str) -> str | None:
    """Why `ref` cannot be used as an image (missing, too large, not an image Pillow reads)."""
    try:
        data, _ = image_bytes(ref)
        pil_image(data)
    except (OSError, ValueError) as exc:
        return str(exc) or type(exc).__name__
    return None


def pil_image(data: bytes) -> Any:
    """The decoded RGB image; ValueError when the bytes are not an image or too many pixels."""
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(io.BytesIO(data)) as probe:
            width, height = probe.size
            if width * height > MAX_PIXELS:
                raise ValueError(f"{width}x{height} pixels is more than {MAX_PIXELS:,}")
            probe.verify()
        image = Image.open(io.BytesIO(data))
        return image.convert("RGB")
    except (UnidentifiedImageError, Image.DecompressionBombError, SyntaxError) as exc:
        raise ValueError(f"not an image Pillow can read ({type(exc).__name__})") from None
    except OSError as exc:
        raise ValueError(f"a broken image: {exc}") from None


def as_data_url(ref: str) -> str:
    """The image as a data URL (what OpenAI-compatible servers take in `image_url`)."""
    if is_data_url(ref):
        return ref
    data, mime = image_bytes(ref)
    return f"data:{mime};base64,{base64.b64encode(data).decode('ascii')}"

