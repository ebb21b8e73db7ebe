"""Data augmentation of training images: :class:`ImageAugmentation`.

The training loop applies an augmentation to every training batch, as it applies a
:class:`~sklearn_ae._corruption.Corruption`, but where a corruption changes only the input
(the target stays the clean rows), an augmentation changes the sample itself: the network
sees and rebuilds the shifted image. :class:`~sklearn_ae.DeepEmbeddedClustering` uses it
for DEC-DA (Guo, Zhu, Liu and Yin, "Deep Embedded Clustering with Data Augmentation",
ACML 2018).
"""

import math

import torch
import torch.nn.functional as F

#: The built-in augmentations: ``name -> (largest shift as a fraction of each side, largest
#: rotation in degrees)``. DEC-DA's are Keras' ``ImageDataGenerator(width_shift_range=0.1,
#: height_shift_range=0.1, rotation_range=10)``.
AUGMENTATIONS = {"shift": (0.1, 0.0), "shift_rotate": (0.1, 10.0)}


class ImageAugmentation:
    """Shift (and rotate) each image of a batch of flattened images by a random amount.

    Each image gets its own affine transform, drawn uniformly: a shift of up to ``shift``
    times its width and height in each direction and a rotation of up to ``rotation``
    degrees either way, about its centre. The image is resampled with bilinear
    interpolation, the pixels that come in from outside take the value of the nearest
    border pixel (Keras' ``fill_mode='nearest'``, DEC-DA's). Draws from torch's global
    generator, which the estimators seed inside ``torch.random.fork_rng``.

    Parameters
    ----------
    image_shape : tuple of (int, int, int)
        ``(channels, height, width)`` of an image; a row of the batch is one image
        flattened in C order.
    shift : float
        Largest shift, as a fraction of each side.
    rotation : float
        Largest rotation, in degrees.
    """

    def __init__(self, image_shape, shift=0.1, rotation=0.0):
        self.image_shape = tuple(int(d) for d in image_shape)
        self.shift = shift
        self.rotation = rotation

    def __call__(self, x):
        n = len(x)
        images = x.reshape(n, *self.image_shape)
        dtype, device = images.dtype, images.device

        def uniform(bound):
            return (2 * torch.rand(n, dtype=dtype) - 1) * bound

        # Drawn on the CPU, so that a seed gives the same transforms on every device.
        angle = uniform(math.radians(self.rotation))
        # affine_grid's coordinates run from -1 to 1 across the image: a shift of a
        # fraction f of a side is 2 f there.
        tx, ty = uniform(2 * self.shift), uniform(2 * self.shift)
        cos, sin = torch.cos(angle), torch.sin(angle)
        # A rotation of the pixel grid, written in affine_grid's coordinates, which scale
        # the width and the height to the same range: rigid on images that are not square.
        height, width = self.image_shape[1:]
        theta = torch.stack([
            torch.stack([cos, -sin * height / width, tx], dim=1),
            torch.stack([sin * width / height, cos, ty], dim=1),
        ], dim=1).to(device)
        grid = F.affine_grid(theta, images.shape, align_corners=False)
        out = F.grid_sample(images, grid, mode="bilinear", padding_mode="border",
                            align_corners=False)
        return out.reshape(n, -1)

    def __repr__(self):
        return (f"ImageAugmentation(image_shape={self.image_shape!r}, shift={self.shift!r}, "
                f"rotation={self.rotation!r})")
