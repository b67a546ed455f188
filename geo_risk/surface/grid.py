"""Regular grids of intensity: binning, FFT smoothing and sampling.

A grid is aligned to multiples of its cell size in EPSG:27700, so grids of the
same cell size over different extents share cell edges. Row 0 is the southern
row; ``values[i, j]`` is the intensity at the centre of cell ``(i, j)``.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import numpy as np
from scipy.ndimage import correlate1d
from scipy.signal import convolve, oaconvolve

from geo_risk.errors import ValidationError

log = logging.getLogger(__name__)

#: Refuse grids larger than this many cells (about 0.4 GB of float64 per array).
MAX_CELLS = 50_000_000

Bounds = tuple[float, float, float, float]


@dataclass(frozen=True)
class IntensityGrid:
    """Intensity at cell centres of a regular grid, in weighted incidents per km2.

    Parameters
    ----------
    x0, y0
        Easting and northing (EPSG:27700, metres) of the grid's lower-left corner.
    cell_m
        Cell size in metres.
    values
        Array of shape ``(ny, nx)``: row ``i`` is at northing ``y0 + (i + 0.5) * cell_m``,
        column ``j`` at easting ``x0 + (j + 0.5) * cell_m``. Read-only.
    """

    x0: float
    y0: float
    cell_m: float
    values: np.ndarray

    def __post_init__(self) -> None:
        values = np.asarray(self.values, dtype=float)
        if values.ndim != 2:
            msg = f"values must be a 2-D array, got shape {values.shape}"
            raise ValidationError(msg)
        values = values.copy() if values.flags.writeable else values
        values.flags.writeable = False
        object.__setattr__(self, "values", values)

    @property
    def shape(self) -> tuple[int, int]:
        """``(ny, nx)``."""
        return self.values.shape  # type: ignore[return-value]

    @property
    def bounds(self) -> Bounds:
        """``(xmin, ymin, xmax, ymax)`` of the grid's outer edges."""
        ny, nx = self.shape
        return (self.x0, self.y0, self.x0 + nx * self.cell_m, self.y0 + ny * self.cell_m)

    def cell_centres(self) -> tuple[np.ndarray, np.ndarray]:
        """Eastings of the column centres and northings of the row centres (1-D arrays)."""
        ny, nx = self.shape
        xs = self.x0 + (np.arange(nx) + 0.5) * self.cell_m
        ys = self.y0 + (np.arange(ny) + 0.5) * self.cell_m
        return xs, ys

    def centres_xy(self) -> np.ndarray:
        """All cell centres as an ``(ny * nx, 2)`` array in row-major order (matches ``values.ravel()``)."""
        xs, ys = self.cell_centres()
        gx, gy = np.meshgrid(xs, ys)
        return np.column_stack([gx.ravel(), gy.ravel()])

    def cell_index(self, xy: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Row, column and an inside-the-grid mask of the cell holding each point."""
        xy = _as_xy(xy)
        ny, nx = self.shape
        col = np.floor((xy[:, 0] - self.x0) / self.cell_m).astype(np.int64)
        row = np.floor((xy[:, 1] - self.y0) / self.cell_m).astype(np.int64)
        inside = (col >= 0) & (col < nx) & (row >= 0) & (row < ny)
        return row, col, inside

    def sample(self, xy: np.ndarray, *, method: str = "bilinear") -> np.ndarray:
        """Intensity at points by interpolation on the grid (fast, approximate).

        Parameters
        ----------
        xy
            ``(n, 2)`` eastings and northings in EPSG:27700.
        method
            ``"bilinear"`` between the four nearest cell centres, or ``"nearest"`` for
            the value of the cell holding the point.

        Returns
        -------
        numpy.ndarray
            Interpolated intensity; 0 for points outside the grid. For exact values use
            :meth:`geo_risk.surface.IntensitySurface.intensity_at`.
        """
        xy = _as_xy(xy)
        ny, nx = self.shape
        if method == "nearest":
            row, col, inside = self.cell_index(xy)
            out = np.zeros(len(xy))
            out[inside] = self.values[row[inside], col[inside]]
            return out
        if method != "bilinear":
            msg = f"method must be 'bilinear' or 'nearest', got {method!r}"
            raise ValidationError(msg)
        fx = (xy[:, 0] - self.x0) / self.cell_m - 0.5
        fy = (xy[:, 1] - self.y0) / self.cell_m - 0.5
        inside = (fx >= -0.5) & (fx <= nx - 0.5) & (fy >= -0.5) & (fy <= ny - 0.5)
        fx = np.clip(fx, 0.0, nx - 1.0)
        fy = np.clip(fy, 0.0, ny - 1.0)
        j0 = np.minimum(np.floor(fx).astype(np.int64), max(nx - 2, 0))
        i0 = np.minimum(np.floor(fy).astype(np.int64), max(ny - 2, 0))
        j1 = np.minimum(j0 + 1, nx - 1)
        i1 = np.minimum(i0 + 1, ny - 1)
        tx = fx - j0
        ty = fy - i0
        v = self.values
        out = (
            v[i0, j0] * (1 - tx) * (1 - ty)
            + v[i0, j1] * tx * (1 - ty)
            + v[i1, j0] * (1 - tx) * ty
            + v[i1, j1] * tx * ty
        )
        return np.where(inside, out, 0.0)

    def aggregate(self, factor: int) -> IntensityGrid:
        """Coarser grid whose cells are the mean of ``factor x factor`` blocks (ragged edges padded by 0)."""
        if factor < 1:
            msg = f"factor must be a positive integer, got {factor!r}"
            raise ValidationError(msg)
        ny, nx = self.shape
        py, px = -ny % factor, -nx % factor
        v = np.pad(self.values, ((0, py), (0, px)))
        v = v.reshape(v.shape[0] // factor, factor, v.shape[1] // factor, factor).mean(axis=(1, 3))
        return IntensityGrid(self.x0, self.y0, self.cell_m * factor, v)


def aligned_grid_spec(bounds: Bounds, cell_m: float) -> tuple[float, float, int, int]:
    """Origin and shape of the grid of ``cell_m`` cells aligned to multiples of the cell covering ``bounds``."""
    if not cell_m > 0:
        msg = f"cell_m must be positive, got {cell_m!r}"
        raise ValidationError(msg)
    xmin, ymin, xmax, ymax = (float(b) for b in bounds)
    if not all(np.isfinite([xmin, ymin, xmax, ymax])) or xmax < xmin or ymax < ymin:
        msg = f"bounds must be finite (xmin, ymin, xmax, ymax) with xmin <= xmax and ymin <= ymax, got {bounds!r}"
        raise ValidationError(msg)
    x0 = np.floor(xmin / cell_m) * cell_m
    y0 = np.floor(ymin / cell_m) * cell_m
    nx = max(int(np.ceil((xmax - x0) / cell_m)), 1)
    ny = max(int(np.ceil((ymax - y0) / cell_m)), 1)
    if nx * ny > MAX_CELLS:
        msg = (
            f"a {cell_m:g} m grid over {xmax - xmin:.0f} x {ymax - ymin:.0f} m has {nx * ny:,} cells "
            f"(limit {MAX_CELLS:,}); use a larger cell size or smaller bounds"
        )
        raise ValidationError(msg)
    return float(x0), float(y0), nx, ny


def bin_linear(
    xy: np.ndarray, weights: np.ndarray, x0: float, y0: float, cell_m: float, shape: tuple[int, int]
) -> np.ndarray:
    """Spread weighted points onto cell centres by bilinear (cloud-in-cell) binning.

    Each point's weight goes to the four surrounding cell centres in proportion to
    proximity, so the smoothed grid matches the exact kernel sum to second order.
    Shares that fall outside the grid are dropped.
    """
    ny, nx = shape
    fx = (xy[:, 0] - x0) / cell_m - 0.5
    fy = (xy[:, 1] - y0) / cell_m - 0.5
    j0 = np.floor(fx).astype(np.int64)
    i0 = np.floor(fy).astype(np.int64)
    tx = fx - j0
    ty = fy - i0
    # one bincount over the four corners: a single pass over the grid's memory
    idx, wts = [], []
    for di, dj, share in (
        (0, 0, (1 - tx) * (1 - ty)),
        (0, 1, tx * (1 - ty)),
        (1, 0, (1 - tx) * ty),
        (1, 1, tx * ty),
    ):
        i = i0 + di
        j = j0 + dj
        ok = (i >= 0) & (i < ny) & (j >= 0) & (j < nx)
        idx.append(i[ok] * nx + j[ok])
        wts.append((weights * share)[ok])
    out = np.bincount(np.concatenate(idx), weights=np.concatenate(wts), minlength=ny * nx)
    return out.reshape(ny, nx)


def smooth(binned: np.ndarray, stencil: np.ndarray) -> np.ndarray:
    """Convolve binned weights with a centred odd-sized stencil (FFT or direct); tiny FFT noise is set to 0."""
    if stencil.shape == (1, 1):
        out = binned * stencil[0, 0]
    else:
        # FFT for wide stencils, direct sums for tiny ones (scipy chooses by operation count)
        out = convolve(binned, stencil, mode="same", method="auto")
    top = float(np.abs(out).max()) if out.size else 0.0
    out[out < top * 1e-10] = 0.0
    return out


def smooth_separable(binned: np.ndarray, kx: np.ndarray, ky: np.ndarray) -> np.ndarray:
    """Convolve with the separable stencil ``outer(ky, kx)`` one axis at a time (odd, centred
    1-D kernels); tiny FFT noise is set to 0."""
    out = binned
    if len(kx) > 1 or kx[0] != 1.0:
        out = oaconvolve(out, kx[np.newaxis, :], mode="same", axes=1)
    if len(ky) > 1 or ky[0] != 1.0:
        out = oaconvolve(out, ky[:, np.newaxis], mode="same", axes=0)
    out = np.array(out, dtype=float, copy=True)
    top = float(np.abs(out).max()) if out.size else 0.0
    out[out < top * 1e-10] = 0.0
    return out


def smooth_sampled(binned: np.ndarray, kx: np.ndarray, ky: np.ndarray, off: int, step: int, shape: tuple[int, int]
                   ) -> np.ndarray:
    """The separable convolution of :func:`smooth_separable`, read only at every ``step``-th
    cell from ``off`` (``shape`` values per axis): direct sums over the stencil, one axis at a
    time, and the second axis only at the columns kept, so a fine grid costs little more than
    binning it."""
    ny, nx = shape
    out = correlate1d(binned, kx, axis=1, mode="constant")[:, off : off + nx * step : step]
    out = correlate1d(out, ky, axis=0, mode="constant")[off : off + ny * step : step, :]
    return np.ascontiguousarray(out)


def _as_xy(xy: np.ndarray) -> np.ndarray:
    arr = np.asarray(xy, dtype=float)
    if arr.ndim == 1 and arr.size == 2:
        arr = arr.reshape(1, 2)
    if arr.ndim != 2 or arr.shape[1] != 2:
        msg = f"points must be an (n, 2) array of easting, northing, got shape {arr.shape}"
        raise ValidationError(msg)
    if not np.isfinite(arr).all():
        msg = "points contain NaN or infinite coordinates; drop or fix those rows first"
        raise ValidationError(msg)
    return arr
