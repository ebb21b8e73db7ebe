"""The shape of one image in a row of `X`: one rule for the conv family and the Displays.

A row holds one image flattened in C order from ``(channels, height, width)``, as torch
orders an image; ``image_shape`` names it as ``(height, width)`` (one channel) or
``(channels, height, width)``, and one entry may be -1, inferred from the width of the row.
"""

import math
from numbers import Integral

#: Channel counts of grey, RGB and RGBA images.
RGB_LIKE = (1, 3, 4)


def complete_image_shape(image_shape, n_features):
    """``(channels, height, width)`` from ``image_shape``, or None where it is malformed.

    ``image_shape`` must hold 2 or 3 positive integers, at most one of them -1; a -1 is
    replaced by what makes the product ``n_features`` where that divides evenly. The product
    of the shape returned may still differ from ``n_features`` (or it may keep its -1): the
    caller says what does not match, in its own words.
    """
    shape = tuple(image_shape)
    well_formed = (
        len(shape) in (2, 3)
        and all(isinstance(d, Integral) and (d >= 1 or d == -1) for d in shape)
        and shape.count(-1) <= 1
    )
    if not well_formed:
        return None
    if len(shape) == 2:
        shape = (1, *shape)
    known = math.prod(d for d in shape if d != -1)
    if -1 in shape and n_features % known == 0:
        shape = tuple(n_features // known if d == -1 else d for d in shape)
    return tuple(int(d) for d in shape)


def looks_channels_last(shape):
    """Whether an image shape of 3 entries reads best as (height, width, channels), as Keras
    orders them: its last entry is a channel count and the other two are larger."""
    *sides, last = shape
    return last in RGB_LIKE and min(sides) > max(RGB_LIKE)
