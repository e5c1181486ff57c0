"""Embedding adapters: a small map on frozen embeddings, trained with a triplet loss.

The feedback loop (ARCHITECTURE.md) cannot fine-tune the embedder itself: the offline
acoustic embedder has no weights, and fine-tuning MuQ-MuLan is a GPU job. What it can do
on a CPU in seconds is learn a small map ``f`` on top of the frozen vectors so that, for
mined triplets (anchor, positive, hard negative),

    max(0, ||f(a) - f(p)||^2 - ||f(a) - f(n)||^2 + margin)

goes to zero. Two shapes are offered, both equal to the identity before training so an
adapter trained on nothing (or on noise, with early stopping) changes little:

* ``linear``: ``f(x) = W x + b`` with ``W = I``, ``b = 0`` at start;
* ``mlp``: ``f(x) = x + W2 relu(W1 x + b1) + b2`` with ``W2 = 0`` at start (residual).

Outputs are L2-normalised, so squared distances are ``2 - 2 cos`` and the catalog's
cosine search ranks exactly as the loss trains. A penalty pulls the weights toward the
identity (``reg``): with a few hundred triplets an unconstrained map forgets the
acoustic neighbourhood the triplets do not talk about.

Training uses torch (CPU); inference is plain numpy (``AdapterWeights.apply``), so
commands that only search never import torch.
"""

from __future__ import annotations

import json
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Literal

import numpy as np

from linernotes.tools.errors import ConfigError

AdapterKind = Literal["linear", "mlp"]
ADAPTER_KINDS: tuple[str, ...] = ("linear", "mlp")


def l2_normalise(x: np.ndarray) -> np.ndarray:
    """Rows scaled to unit length (zero rows stay zero), float32."""
    x = np.asarray(x, dtype=np.float32)
    norms = np.linalg.norm(x, axis=-1, keepdims=True)
    return (x / np.maximum(norms, 1e-12)).astype(np.float32)


@dataclass
class AdapterWeights:
    """The trained map as numpy arrays: what inference and the files on disk hold."""

    kind: str
    arrays: dict[str, np.ndarray]

    @property
    def dim(self) -> int:
        """Input (and output) dimension."""
        key = "W" if self.kind == "linear" else "W1"
        return int(self.arrays[key].shape[1])

    def apply(self, x: np.ndarray) -> np.ndarray:
        """Map base vectors (``(d,)`` or ``(n, d)``) to adapted, L2-normalised vectors."""
        x = np.asarray(x, dtype=np.float32)
        single = x.ndim == 1
        x2 = x[None, :] if single else x
        if x2.shape[1] != self.dim:
            raise ConfigError(f"adapter expects {self.dim}-d vectors, got shape={x.shape}")
        a = self.arrays
        if self.kind == "linear":
            y = x2 @ a["W"].T + a["b"]
        else:
            h = np.maximum(x2 @ a["W1"].T + a["b1"], 0.0)
            y = x2 + h @ a["W2"].T + a["b2"]
        y = l2_normalise(y)
        return y[0] if single else y

    def save(self, path: Path) -> None:
        """Write the arrays to ``path`` (``.npz``) with the kind inside."""
        arrays: dict[str, Any] = {"kind": np.array(self.kind), **self.arrays}
        np.savez(path, **arrays)

    @classmethod
    def load(cls, path: Path) -> AdapterWeights:
        """Read weights written by ``save``."""
        with np.load(path) as data:
            kind = str(data["kind"])
            arrays = {k: data[k].astype(np.float32) for k in data.files if k != "kind"}
        if kind not in ADAPTER_KINDS:
            raise ConfigError(f"unknown adapter kind {kind!r} in {path}")
        return cls(kind, arrays)


@dataclass(frozen=True)
class TrainConfig:
    """Hyper-parameters of one training run (all go into the adapter card)."""

    kind: AdapterKind = "linear"
    epochs: int = 100
    margin: float = 0.1
    lr: float = 0.01
    batch_size: int = 1024
    hidden: int = 128
    reg: float = 0.001
    patience: int = 15
    threads: int = 1
    val_fraction: float = 0.2
    seed: int = 0


@dataclass
class TrainResult:
    """A trained adapter and how training went (held-out anchors measure it)."""

    weights: AdapterWeights
    config: TrainConfig
    n_train: int
    n_val: int
    epochs_run: int
    best_epoch: int
    seconds: float
    val_acc_before: float
    val_acc_after: float
    history: list[dict[str, float]] = field(default_factory=list)

    def summary(self) -> dict[str, object]:
        """JSON-ready facts for the adapter card and ``--json`` output."""
        out = {k: v for k, v in asdict(self).items() if k not in {"weights", "history"}}
        out["config"] = asdict(self.config)
        return json.loads(json.dumps(out))


def split_by_anchor(
    anchors: np.ndarray, val_fraction: float, seed: int
) -> tuple[np.ndarray, np.ndarray]:
    """Indices of training and validation triplets, split by anchor, not by triplet.

    Triplets of one anchor are strongly correlated; a random triplet split would let the
    model see the validation anchors and early stopping would never stop.
    """
    anchors = np.asarray(anchors)
    unique = np.unique(anchors)
    rng = np.random.default_rng(seed)
    n_val = 0
    if val_fraction > 0 and len(unique) > 1:  # keep >= 1 anchor on each side
        n_val = min(len(unique) - 1, max(1, round(len(unique) * val_fraction)))
    val_anchors = set(rng.permutation(unique)[:n_val].tolist())
    is_val = np.array([a in val_anchors for a in anchors.tolist()], dtype=bool)
    return np.flatnonzero(~is_val), np.flatnonzero(is_val)


def triplet_accuracy(vecs: np.ndarray, triplets: np.ndarray) -> float:
    """Share of triplets whose positive is strictly closer to the anchor than the negative."""
    if len(triplets) == 0:
        return float("nan")
    a, p, n = (vecs[triplets[:, i]] for i in range(3))
    return float(np.mean(np.sum(a * p, axis=1) > np.sum(a * n, axis=1)))


def shuffle_labels(triplets: np.ndarray, seed: int) -> np.ndarray:
    """Swap positive and negative in a random half of the triplets (the noise control)."""
    rng = np.random.default_rng(seed)
    out = np.array(triplets, copy=True)
    swap = rng.random(len(out)) < 0.5
    out[swap, 1], out[swap, 2] = triplets[swap, 2], triplets[swap, 1]
    return out


def _build(kind: str, dim: int, hidden: int):  # -> torch.nn.Module
    import torch
    from torch import nn

    class Linear(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.W = nn.Parameter(torch.eye(dim))
            self.b = nn.Parameter(torch.zeros(dim))

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            return nn.functional.normalize(x @ self.W.T + self.b, dim=-1)

        def penalty(self) -> torch.Tensor:
            return ((self.W - torch.eye(dim)) ** 2).sum() + (self.b**2).sum()

    class Residual(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.W1 = nn.Parameter(torch.randn(hidden, dim) * (2.0 / dim) ** 0.5)
            self.b1 = nn.Parameter(torch.zeros(hidden))
            self.W2 = nn.Parameter(torch.zeros(dim, hidden))
            self.b2 = nn.Parameter(torch.zeros(dim))

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            h = torch.relu(x @ self.W1.T + self.b1)
            return nn.functional.normalize(x + h @ self.W2.T + self.b2, dim=-1)

        def penalty(self) -> torch.Tensor:
            return (self.W2**2).sum() + (self.b2**2).sum()

    if kind == "linear":
        return Linear()
    if kind == "mlp":
        return Residual()
    raise ConfigError(f"Unknown adapter kind {kind!r}. Expected one of: linear, mlp")


def _to_weights(kind: str, module) -> AdapterWeights:  # module: torch.nn.Module
    arrays = {n: p.detach().cpu().numpy().astype(np.float32) for n, p in module.named_parameters()}
    return AdapterWeights(kind, arrays)


def train_adapter(
    vecs: np.ndarray,
    triplets: np.ndarray,
    config: TrainConfig | None = None,
    *,
    val_triplets: np.ndarray | None = None,
) -> TrainResult:
    """Train an adapter on frozen vectors so mined triplets hold with a margin.

    Args:
        vecs: ``(n_tracks, d)`` base vectors (frozen; rows are indexed by ``triplets``).
        triplets: ``(m, 3)`` int rows (anchor, positive, negative) into ``vecs``.
        config: Hyper-parameters; ``TrainConfig()`` when omitted.
        val_triplets: Held-out triplets for early stopping. When omitted, the triplets
            of ``config.val_fraction`` of the anchors are held out (split by anchor).

    Returns:
        The best weights by held-out triplet loss, with accuracies before and after.

    Raises:
        ConfigError: no triplets, or a bad kind.
    """
    import torch

    config = config or TrainConfig()
    triplets = np.asarray(triplets, dtype=np.int64).reshape(-1, 3)
    if len(triplets) == 0:
        raise ConfigError("no triplets to train on: run `linernotes mine` first")
    if val_triplets is None:
        tr_idx, va_idx = split_by_anchor(triplets[:, 0], config.val_fraction, config.seed)
        train, val = triplets[tr_idx], triplets[va_idx]
    else:
        train, val = triplets, np.asarray(val_triplets, dtype=np.int64).reshape(-1, 3)
    start = time.perf_counter()
    threads = torch.get_num_threads()
    # Tiny matrices: one thread beats several (less sync, and the machine is shared).
    torch.set_num_threads(max(1, config.threads))
    try:
        return _fit(vecs, train, val, config, start)
    finally:
        torch.set_num_threads(threads)


def _fit(
    vecs: np.ndarray, train: np.ndarray, val: np.ndarray, config: TrainConfig, start: float
) -> TrainResult:
    """The optimisation loop of ``train_adapter`` (Adam, minibatches, early stopping)."""
    import torch

    torch.manual_seed(config.seed)
    rng = np.random.default_rng(config.seed)
    base = l2_normalise(vecs)
    x = torch.from_numpy(base)
    model = _build(config.kind, base.shape[1], config.hidden)
    opt = torch.optim.Adam(model.parameters(), lr=config.lr)
    tr = torch.from_numpy(train)
    va = torch.from_numpy(val) if len(val) else None

    def loss_of(out: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
        a, p, n = out[t[:, 0]], out[t[:, 1]], out[t[:, 2]]
        d_ap = ((a - p) ** 2).sum(dim=1)
        d_an = ((a - n) ** 2).sum(dim=1)
        return torch.relu(d_ap - d_an + config.margin).mean()

    def val_loss() -> float:
        if va is None:
            return float("nan")
        with torch.no_grad():
            return float(loss_of(model(x), va))

    best_state = {k: v.detach().clone() for k, v in model.state_dict().items()}
    best_loss, best_epoch, stale = val_loss(), 0, 0
    history: list[dict[str, float]] = []
    epoch = 0
    for epoch in range(1, config.epochs + 1):
        order = torch.from_numpy(rng.permutation(len(tr)))
        total = 0.0
        for i in range(0, len(tr), config.batch_size):
            batch = tr[order[i : i + config.batch_size]]
            # Only the rows a batch touches go through the model: cheap for big catalogs.
            rows, inverse = torch.unique(batch.reshape(-1), return_inverse=True)
            out = model(x[rows])
            loss = loss_of(out, inverse.reshape(-1, 3)) + config.reg * model.penalty()
            opt.zero_grad()
            loss.backward()
            opt.step()
            total += loss.item() * len(batch)
        vl = val_loss()
        history.append({"epoch": epoch, "train_loss": total / len(tr), "val_loss": vl})
        if va is None:
            best_state = {k: v.detach().clone() for k, v in model.state_dict().items()}
            best_epoch = epoch
        elif vl < best_loss - 1e-5:
            best_loss, best_epoch, stale = vl, epoch, 0
            best_state = {k: v.detach().clone() for k, v in model.state_dict().items()}
        else:
            stale += 1
            if stale >= config.patience:
                break
    model.load_state_dict(best_state)
    weights = _to_weights(config.kind, model)
    return TrainResult(
        weights=weights,
        config=config,
        n_train=len(train),
        n_val=len(val),
        epochs_run=epoch,
        best_epoch=best_epoch,
        seconds=round(time.perf_counter() - start, 3),
        val_acc_before=triplet_accuracy(base, val),
        val_acc_after=triplet_accuracy(weights.apply(base), val),
        history=history,
    )
