"""Image statistics per item, on the luminance (Pillow's ITU-R 601-2 "L" conversion, 0-255)."""

from __future__ import annotations

from typing import Any

import numpy as np
from PIL import Image
from scipy import ndimage

from pipelines.inputs import ItemInputs
from pipelines.steps import step

#: Outputs are rounded so they hash the same on every machine (BLAS and SIMD sum orders differ).
DECIMALS = 6


def luminance(image: Image.Image) -> np.ndarray[Any, np.dtype[np.uint8]]:
    if image.mode not in ("L", "RGB"):
        image = image.convert("RGB")  # palettes, alpha, CMYK, 16-bit: as displayed, opaque
    return np.asarray(image.convert("L"), dtype=np.uint8)


def image_statistics(image: Image.Image) -> dict[str, float | int]:
    """brightness = mean luminance, contrast = its standard deviation, blur = variance of its
    Laplacian (low means blurry), entropy = Shannon entropy (bits) of its 256-bin histogram."""
    gray = luminance(image)
    values = gray.astype(np.float64)
    laplacian = ndimage.laplace(values)
    histogram = np.bincount(gray.ravel(), minlength=256).astype(np.float64)
    probabilities = histogram[histogram > 0] / histogram.sum()
    entropy = float(-(probabilities * np.log2(probabilities)).sum()) + 0.0  # -0.0 -> 0.0
    return {
        "width": image.width,
        "height": image.height,
        "brightness": round(float(values.mean()), DECIMALS),
        "contrast": round(float(values.std()), DECIMALS),
        "blur": round(float(laplacian.var()), DECIMALS),
        "entropy": round(entropy, DECIMALS),
    }


@step(name="image_stats", version=1, inputs=("image",))
def image_stats(inputs: ItemInputs) -> dict[str, float | int]:
    return image_statistics(inputs.image())
