"""Train the uplifting network on generated motion (plus real BVH clips), on CPU or CUDA, resumable.

    python scripts/training/train.py --out runs/NAME [--config FILE.json] [--rotation 6d] [--loss geodesic]
                            [--supervision full] [--steps 20000] [--batch 32] [--real CLIP.bvh CLIP.txt ...]
                            [--real-fraction 0.25] [--resume]
    torchrun --nproc_per_node=N scripts/training/train.py ...      (DistributedDataParallel, one process per GPU/CPU group)

Writes ``runs/NAME/checkpoint.pt`` (every ``--every`` steps; ``--resume`` continues from it), ``train.log`` and, at
the end, ``weights.npz`` + ``weights.json`` (the card: config, data, training budget, validation metrics).

``--average H`` keeps an exponential moving average of the weights (half-life H steps) beside them: while the rate is
high the weights move a long way from one snapshot to the next, and their recent mean scores better than any one of
them. It is checkpointed, scored on the learning curves beside the weights (``averaged`` in ``curves.jsonl``), saved as
``averaged_stepN.npz`` with each snapshot and as ``averaged.npz`` at the end.

Supervision ``full`` uses ground-truth rotations (geodesic angle or MSE on the representation) and positions;
``positions_only`` never sees a rotation label: joint positions through forward kinematics plus a joint-limit prior.
"""

from __future__ import annotations

import argparse
import collections
import json
import math
import os
import sys
import time
from dataclasses import asdict, replace
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from model import rotations as R  # noqa: E402
from model.mocap import read_motion  # noqa: E402
from model.network import NetworkConfig, save_weights, split_outputs, torch_state_to_arrays  # noqa: E402
from model.rotations import matrix_to_rotation, rotation_to_matrix  # noqa: E402
from model.skeleton import NUM_JOINTS  # noqa: E402
from model.training.synthesis import JOINT_RANGES, clip_from_motion, make_batch  # noqa: E402


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--out", type=Path, required=True)
    p.add_argument("--config", type=Path, help="JSON file with any of the options below (command line wins)")
    p.add_argument("--rotation", choices=["6d", "quaternion", "axis_angle", "matrix"], default=None)
    p.add_argument("--loss", choices=["geodesic", "mse"], default=None)
    p.add_argument("--supervision", choices=["full", "positions_only"], default=None)
    p.add_argument("--steps", type=int, default=None)
    p.add_argument("--batch", type=int, default=None)
    p.add_argument("--lr", type=float, default=None)
    p.add_argument("--seed", type=int, default=None)
    p.add_argument("--dim", type=int, default=None)
    p.add_argument("--layers", type=int, default=None)
    p.add_argument("--heads", type=int, default=None, help="attention heads of the temporal (and across-part) layers")
    p.add_argument(
        "--tokens",
        choices=["frame", "parts"],
        default=None,
        help="one token per frame, or one per body part and frame (model/network.py)",
    )
    p.add_argument("--window", type=int, default=None, help="frames per pass (the network's window)")
    p.add_argument(
        "--curve-every",
        type=int,
        default=None,
        help="every N steps: the learning-curve numbers (curves.jsonl) and a weights snapshot",
    )
    p.add_argument(
        "--real",
        nargs="*",
        default=None,
        help="real motion mixed into training: .bvh, DeepMimic .txt or AMASS-layout .npz (retargeted)",
    )
    p.add_argument(
        "--library",
        type=Path,
        default=None,
        help="motion library (scripts/training/build_motion_library.py): its training split joins --real",
    )
    p.add_argument(
        "--init",
        type=Path,
        default=None,
        help="start from these weights (.npz, same network shape, or fewer --layers: the added layers start as identities)",
    )
    p.add_argument("--real-fraction", type=float, default=None, help="share of each batch from real clips")
    p.add_argument(
        "--anchored-fraction",
        type=float,
        default=None,
        help="share of each batch of synthetic motion with postures borrowed from the real clips",
    )
    p.add_argument(
        "--mixed-fraction",
        type=float,
        default=None,
        help="share of each batch of real limbs assembled from different clips (nothing added on top)",
    )
    p.add_argument(
        "--random-bodies",
        action="store_true",
        default=None,
        help="play the real clips on random bodies, not their subjects'",
    )
    p.add_argument(
        "--subject-bodies",
        type=float,
        default=None,
        help="with --random-bodies: share of the random bodies that are another clip's subject (mocap skeletons)",
    )
    p.add_argument(
        "--jitter",
        type=float,
        default=None,
        help="half of the real crops: every joint turned smoothly by up to this share of its anatomical range",
    )
    p.add_argument(
        "--white",
        type=float,
        default=None,
        help="share of the detector noise's variance that is frame by frame (default: drawn per clip, 0.1-0.6)",
    )
    p.add_argument(
        "--tilted",
        type=float,
        default=None,
        help="share of the cameras rolled up to 35 degrees (hand-held phones; the rest up to 10)",
    )
    p.add_argument(
        "--high",
        type=float,
        default=None,
        help="share of the cameras placed high, looking down 15-40 degrees (the rest 0.3-2.8 m above the floor)",
    )
    p.add_argument(
        "--side-views",
        action="store_true",
        default=None,
        help="the detector noise's spread and misses follow the view, as measured (wider and more often from the side)",
    )
    p.add_argument(
        "--detector-pairs",
        type=Path,
        nargs="+",
        default=None,
        help="folders of rendered views run through a real detector (detector_renders.py --split train "
        "--random-views N --out DIR): their 2D with their motion's targets join training (--pairs-fraction)",
    )
    p.add_argument(
        "--pairs-fraction",
        type=float,
        default=None,
        help="share of each batch from --detector-pairs (taken from the synthetic share)",
    )
    p.add_argument(
        "--pairs-max-world-mm",
        type=float,
        default=None,
        help="leave out a rendered view where MediaPipe's own 3D is further than this from the rig (PA-MPJPE, mm): "
        "there it took the body for another pose (0: keep every view)",
    )
    p.add_argument(
        "--clean",
        type=float,
        default=None,
        help="share of the generated samples whose 2D is as a detector more precise than MediaPipe gives it: the "
        "joints' own points with 0-0.5 of the drawn noise, no placement bias, no failure modes",
    )
    p.add_argument("--dropout", type=float, default=None, help="dropout in the temporal layers (training only)")
    p.add_argument(
        "--whole-frame",
        action="store_true",
        default=None,
        help="parts layout: every part's token also embeds the whole frame's points (NetworkConfig.whole_frame)",
    )
    p.add_argument(
        "--local",
        action="store_true",
        default=None,
        help="parts layout: a limb reads only its own and the torso's points (NetworkConfig.local)",
    )
    p.add_argument("--every", type=int, default=200, help="checkpoint every N steps")
    p.add_argument(
        "--minutes",
        type=float,
        default=0.0,
        help="wall-clock budget of this process (0: none): the learning-rate schedule runs over whichever of --steps "
        "and the budget ends first, and the run ends with it (for a machine lent for a fixed time)",
    )
    p.add_argument(
        "--average",
        type=float,
        default=0.0,
        help="half-life in steps of a moving average of the weights kept beside them (0: none)",
    )
    p.add_argument(
        "--workers",
        type=int,
        default=0,
        help="processes making batches ahead of the network (0: in the training loop; on a GPU the numpy "
        "synthesis is most of a step)",
    )
    p.add_argument("--threads", type=int, default=None)
    p.add_argument("--device", default="auto")
    p.add_argument("--resume", action="store_true")
    args = p.parse_args(argv)
    defaults = {
        "rotation": "6d",
        "loss": "geodesic",
        "supervision": "full",
        "steps": 20000,
        "batch": 32,
        "lr": 5e-4,
        "seed": 0,
        "dim": 192,
        "layers": 4,
        "heads": 8,
        "tokens": "frame",
        "window": 81,
        "curve_every": 500,
        "real": [],
        "library": None,
        "init": None,
        "real_fraction": 0.25,
        "anchored_fraction": 0.0,
        "mixed_fraction": 0.0,
        "random_bodies": False,
        "subject_bodies": 0.0,
        "jitter": 0.0,
        "white": None,
        "tilted": 0.0,
        "high": 0.0,
        "side_views": False,
        "detector_pairs": None,
        "pairs_fraction": 0.0,
        "pairs_max_world_mm": 0.0,
        "clean": 0.0,
        "dropout": 0.0,
        "whole_frame": False,
        "local": False,
    }
    file_cfg = json.loads(args.config.read_text()) if args.config else {}
    for key, value in defaults.items():
        if getattr(args, key) is None:
            setattr(args, key, file_cfg.get(key, value))
    return args


def losses(out, batch, cfg: NetworkConfig, args, torch):
    """Total loss and its parts. ``batch`` holds torch tensors from ``make_batch``."""
    from model.kinematics import forward_kinematics

    parts = split_outputs(out, cfg)
    rot = rotation_to_matrix(parts["rotations"], cfg.rotation)  # (B, T, 22, 3, 3)
    gt_rot = batch["rotations"]
    pos, _ = forward_kinematics(rot, batch["offsets"][:, None], torch.zeros_like(batch["velocity"]))
    terms = {"mpjpe": (pos - batch["positions"]).norm(dim=-1).mean()}
    angle = R.geodesic_angle(rot, gt_rot)
    if args.supervision == "full":
        if args.loss == "geodesic":
            terms["rotation"] = angle.mean()
        else:
            target = matrix_to_rotation(gt_rot, cfg.rotation)
            raw = parts["rotations"]
            if cfg.rotation == "quaternion":  # q and -q are the same rotation: compare on the prediction's side
                sign = torch.where((raw * target).sum(-1, keepdim=True) < 0, -1.0, 1.0)
                target = target * sign
            terms["rotation"] = (raw - target).square().mean()
    else:
        terms["prior"] = joint_limit_prior(rot, torch)
    terms["velocity"] = (parts["velocity"] - batch["velocity"]).abs().mean() * 0.2
    terms["up"] = (1 - torch.nn.functional.cosine_similarity(parts["up"], batch["up"], dim=-1)).mean()
    terms["bones"] = (parts["log_bones"].mean(1) - batch["log_bones"]).abs().mean()
    total = terms["mpjpe"] * 4.0 + sum(v for k, v in terms.items() if k != "mpjpe")
    with torch.no_grad():
        metrics = {"mpjpe_mm": float(terms["mpjpe"]) * 1000, "mpjae_deg": float(angle[..., 1:, :].mean().rad2deg())}
    return total, terms, metrics


_MAX_ANGLE = np.array(
    [np.linalg.norm(np.abs(JOINT_RANGES[j][1]).max(1)) if j in JOINT_RANGES else np.pi for j in range(NUM_JOINTS)]
)


def joint_limit_prior(rot, torch):
    """Penalty for local rotations larger than the joint's anatomical range allows (root excluded)."""
    eye = torch.eye(3, dtype=rot.dtype, device=rot.device)
    angle = R.geodesic_angle(rot[..., 1:, :, :], eye)
    limit = torch.as_tensor(_MAX_ANGLE[1:], dtype=rot.dtype, device=rot.device)
    return torch.relu(angle - limit).square().mean() * 10.0


#: The learning-curve sets: (library split, 2D input, windows, motion); fixed seeds, the subjects' own bodies. Motion
#: "real": crops of the clips; "assembled": the same clips' torsos and limbs in combinations no clip has (the
#: ``mixed_fraction`` motion of training), so the curves show whether the network composes the limbs it has seen or
#: only recalls whole poses (the validation subjects move known limbs in new combinations).
CURVE_SETS = {
    "train_exact": ("train", "exact", 96, "real"),
    "validation_exact": ("validation", "exact", 96, "real"),
    "validation_mediapipe": ("validation", "mediapipe", 96, "real"),
    "train_assembled_exact": ("train", "exact", 96, "assembled"),
}


def curve_batches(library: Path, cfg: NetworkConfig) -> dict[str, dict[str, np.ndarray]]:
    """Fixed windows of the library's clips for the learning curves (``CURVE_SETS``)."""
    from model.training.library import library_clips

    out = {}
    for k, (split, noise, n, motion) in enumerate(CURVE_SETS.values()):
        clips = library_clips(library, split)
        real = 1.0 if motion == "real" else 0.0
        batch = make_batch(
            np.random.default_rng(777 + k), n, cfg.window, cfg.fps, clips, real, noise=noise, mixed_fraction=1.0 - real
        )
        out[list(CURVE_SETS)[k]] = batch
    return out


def curve_metrics(model, batch: dict, cfg: NetworkConfig, device, torch) -> dict[str, float]:
    """The split that shows where the error is (mm PA-MPJPE per frame, degrees): the model (its rotations on its own
    skeleton), its rotations on the true skeleton, the true rotations on its skeleton, and its joint angle error."""
    from model.kinematics import forward_kinematics
    from model.skeleton import Skeleton
    from model.training.evaluation import mpjae, pa_mpjpe

    with torch.no_grad():
        out = model(torch.as_tensor(batch["inputs"], device=device)).cpu().numpy().astype(np.float64)
    parts = split_outputs(out, cfg)
    rot = rotation_to_matrix(parts["rotations"], cfg.rotation)
    canon = Skeleton.default().offsets
    unit = canon / np.linalg.norm(canon, axis=-1, keepdims=True)
    pred_off = np.concatenate(
        [np.zeros((*out.shape[:2], 1, 3)), unit[1:] * np.exp(parts["log_bones"])[..., None]], axis=2
    )
    true_rot = batch["rotations"].astype(np.float64)
    true_off = np.broadcast_to(batch["offsets"][:, None].astype(np.float64), pred_off.shape)
    zero = np.zeros(out.shape[:2] + (3,))
    ref = batch["positions"].astype(np.float64).reshape(-1, NUM_JOINTS, 3)

    def pa(r: np.ndarray, o: np.ndarray) -> float:
        return pa_mpjpe(forward_kinematics(r, o, zero)[0].reshape(-1, NUM_JOINTS, 3), ref)

    return {
        "model_mm": round(pa(rot, pred_off), 1),
        "rotations_on_true_skeleton_mm": round(pa(rot, true_off), 1),
        "true_rotations_on_its_skeleton_mm": round(pa(true_rot, pred_off), 1),
        "mpjae_deg": round(mpjae(rot[..., 1:, :, :], true_rot[..., 1:, :, :]), 1),
    }


class WeightAverage:
    """Exponential moving average of a network's floating-point weights, ``half_life`` steps: ``update`` after each
    optimiser step; ``state`` from a checkpoint continues an average (missing entries start at the live weights)."""

    def __init__(self, model, half_life: float, state: dict | None = None) -> None:
        if half_life <= 0:
            raise ValueError("half_life must be positive")
        self.decay = 0.5 ** (1.0 / half_life)
        self.live = [(name, t) for name, t in model.state_dict().items() if t.is_floating_point()]
        state = state or {}
        self.values = {
            name: (state[name].to(t.device, t.dtype) if name in state else t.detach()).clone() for name, t in self.live
        }

    def update(self) -> None:
        for name, t in self.live:
            self.values[name].lerp_(t.detach(), 1.0 - self.decay)

    def state_dict(self) -> dict:
        return self.values

    def copy_into(self, model) -> None:
        """Load the average into ``model`` (a network of the same shape; entries that are not floating point, if any,
        stay its own)."""
        state = model.state_dict()
        state.update(self.values)
        model.load_state_dict(state)


_WORKER: dict = {}


def _worker_init(real: list, window: int, fps: float, batch: int, mix: dict) -> None:
    _WORKER.update(real=real, window=window, fps=fps, batch=batch, mix=mix)


def _worker_batch(seed: int) -> dict:
    w = _WORKER
    return make_batch(np.random.default_rng(seed), w["batch"], w["window"], w["fps"], w["real"] or None, **w["mix"])


def batch_stream(rng: np.random.Generator, args: argparse.Namespace, cfg: NetworkConfig, real: list, mix: dict):
    """Training batches forever: made in the loop, or with ``--workers`` by that many processes a few batches ahead
    (each from its own seed drawn from ``rng``, so a run is reproducible for a given worker count)."""
    if args.workers <= 0:
        while True:
            yield make_batch(rng, args.batch, cfg.window, cfg.fps, real or None, **mix)
    import multiprocessing

    ctx = multiprocessing.get_context("fork" if sys.platform != "win32" else "spawn")
    with ctx.Pool(args.workers, _worker_init, (real, cfg.window, cfg.fps, args.batch, mix)) as pool:
        ahead = collections.deque(
            pool.apply_async(_worker_batch, (int(rng.integers(2**63)),)) for _ in range(2 * args.workers)
        )  # a bounded number of batches ahead
        while True:
            done = ahead.popleft().get()
            ahead.append(pool.apply_async(_worker_batch, (int(rng.integers(2**63)),)))
            yield done


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    import torch

    distributed = int(os.environ.get("WORLD_SIZE", "1")) > 1
    rank = int(os.environ.get("RANK", "0"))
    if args.threads:
        torch.set_num_threads(args.threads)
    device = torch.device(
        "cuda" if (args.device == "auto" and torch.cuda.is_available()) or args.device == "cuda" else "cpu"
    )
    if distributed:
        torch.distributed.init_process_group("nccl" if device.type == "cuda" else "gloo")
        if device.type == "cuda":
            device = torch.device("cuda", int(os.environ.get("LOCAL_RANK", "0")))
            torch.cuda.set_device(device)
    args.out.mkdir(parents=True, exist_ok=True)
    cfg = replace(
        NetworkConfig(),
        rotation=args.rotation,
        dim=args.dim,
        layers=args.layers,
        heads=args.heads,
        mlp=2 * args.dim,
        window=args.window,
        tokens=args.tokens,
        whole_frame=bool(args.whole_frame),
        local=bool(args.local),
    )
    for option in ("whole_frame", "local"):
        if getattr(cfg, option) and cfg.tokens != "parts":
            raise SystemExit(f"error: --{option.replace('_', '-')} is an option of the parts layout (--tokens parts)")
    torch.manual_seed(args.seed)
    from model.network_torch import UpliftNet

    model = UpliftNet(cfg, dropout=args.dropout).to(device)
    opt = torch.optim.AdamW(model.parameters(), lr=args.lr, weight_decay=0.01)
    step = 0
    ckpt = args.out / "checkpoint.pt"
    average_state = None
    if args.resume and ckpt.exists():
        state = torch.load(ckpt, map_location=device, weights_only=False)
        model.load_state_dict(state["model"])
        opt.load_state_dict(state["opt"])
        step = state["step"]
        average_state = state.get("averaged")
    elif args.init is not None:
        from model.network import load_weights

        arrays, init_cfg = load_weights(args.init)
        same = ("dim", "rotation", "heads", "tokens", "window", "whole_frame")
        if any(getattr(init_cfg, k) != getattr(cfg, k) for k in same) or init_cfg.layers > cfg.layers:
            raise SystemExit(
                f"error: {args.init}: network shape differs from --dim/--heads/--tokens/--whole-frame/--layers/--rotation"
            )
        if init_cfg.layers < cfg.layers and cfg.tokens != "frame":
            raise SystemExit(f"error: {args.init}: only a frame-token network can be deepened")
        state = model.state_dict()
        for i in range(init_cfg.layers, cfg.layers):  # a deeper network: the new layers start as identities
            for name in ("proj", "fc2"):
                arrays[f"temporal.{i}.{name}.weight"] = np.zeros_like(state[f"temporal.{i}.{name}.weight"].numpy())
                arrays[f"temporal.{i}.{name}.bias"] = np.zeros_like(state[f"temporal.{i}.{name}.bias"].numpy())
            for key, value in state.items():
                arrays.setdefault(key, value.numpy())
        model.load_state_dict({k: torch.as_tensor(v) for k, v in arrays.items()})
    net = torch.nn.parallel.DistributedDataParallel(model) if distributed else model
    average = WeightAverage(model, args.average, average_state) if args.average > 0 else None
    shadow = UpliftNet(cfg).to(device).eval() if average is not None else None  # the average, for scoring and saving

    real = []
    for path in args.real:
        real.append(clip_from_motion(read_motion(path).resampled(cfg.fps)))
    if args.library is not None:
        from model.training.library import library_clips

        real.extend(library_clips(args.library, "train"))
    curve_sets = curve_batches(args.library, cfg) if args.library is not None and rank == 0 else {}
    rng = np.random.default_rng(args.seed * 1000 + rank + step)
    val = make_batch(np.random.default_rng(12345), 64, cfg.window, cfg.fps)  # fixed synthetic validation set
    log = open(args.out / "train.log", "a")
    start, t0 = step, time.time()
    to_t = lambda b: {k: torch.as_tensor(v, device=device) for k, v in b.items()}  # noqa: E731
    warmup = min(500, max(1, args.steps // 5))  # steps of linear warm-up before the cosine decay
    mix = {
        "real_fraction": args.real_fraction,
        "anchored_fraction": args.anchored_fraction,
        "mixed_fraction": args.mixed_fraction,
        "random_bodies": args.random_bodies,
        "subject_bodies": args.subject_bodies,
        "jitter": args.jitter,
        "white": args.white,
        "tilted": args.tilted,
        "high": args.high,
        "side_views": args.side_views,
        "clean_fraction": args.clean,
    }
    if args.detector_pairs is not None and args.pairs_fraction > 0:
        from model.training.detector_pairs import load_detector_pairs

        folders = [args.detector_pairs] if isinstance(args.detector_pairs, (str, Path)) else args.detector_pairs
        limit = args.pairs_max_world_mm or None
        left_out: list[str] = []
        pairs = [pair for folder in folders for pair in load_detector_pairs(folder, limit, left_out)]
        print(f"detector pairs: {len(pairs)} views from {len(folders)} folder" + "s" * (len(folders) != 1), flush=True)
        if left_out:
            print(f"detector pairs left out, MediaPipe's own 3D over {limit:g} mm: {', '.join(left_out)}", flush=True)
        mix.update(pairs=pairs, pairs_fraction=args.pairs_fraction)
    batches = batch_stream(rng, args, cfg, real, mix)
    budget = args.minutes * 60.0

    def progress() -> float:
        """Share of the schedule done: by steps, or by the wall-clock budget where that is further along."""
        done = step / args.steps
        return max(done, (time.time() - t0) / budget) if budget > 0 else done

    finished = step >= args.steps  # a resumed run that had ended trains no further
    while not finished:
        lr = args.lr * min(1.0, (step + 1) / warmup) * 0.5 * (1 + math.cos(math.pi * min(progress(), 1.0)))
        for group in opt.param_groups:
            group["lr"] = lr
        batch = to_t(next(batches))
        out = net(batch["inputs"])
        total, terms, metrics = losses(out, batch, cfg, args, torch)
        opt.zero_grad(set_to_none=True)
        total.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        if average is not None:
            average.update()
        step += 1
        finished = progress() >= 1.0
        if distributed and budget > 0:  # every rank stops at the same step (the budget is read on each rank's clock)
            flag = torch.tensor([float(finished)], device=device)
            torch.distributed.all_reduce(flag, op=torch.distributed.ReduceOp.MAX)
            finished = bool(flag.item())
        if rank == 0 and (step % 20 == 0 or finished):
            rate = (step - start) / (time.time() - t0)
            eta = (args.steps - step) / max(rate, 1e-9)
            if budget > 0:
                eta = min(eta, max(0.0, budget - (time.time() - t0)))
            line = (
                f"step {step}/{args.steps} loss {total.item():.4f} mpjpe {metrics['mpjpe_mm']:.1f} mm "
                f"mpjae {metrics['mpjae_deg']:.1f} deg lr {lr:.2e} {rate:.2f} it/s eta {eta / 60:.0f} min"
            )
            print(line, flush=True)
            log.write(line + "\n")
            log.flush()
        if rank == 0 and curve_sets and (step % args.curve_every == 0 or finished):
            model.eval()
            point: dict = {"step": step, "seconds": round(time.time() - t0, 1)}
            point |= {name: curve_metrics(model, b, cfg, device, torch) for name, b in curve_sets.items()}
            model.train()
            if average is not None:
                average.copy_into(shadow)
                point["averaged"] = {
                    name: curve_metrics(shadow, b, cfg, device, torch) for name, b in curve_sets.items()
                }
                save_weights(
                    args.out / f"averaged_step{step}.npz",
                    torch_state_to_arrays(shadow),
                    cfg,
                    {"name": f"{args.out.name} step {step}, averaged (half-life {args.average:g} steps)"},
                )
            with open(args.out / "curves.jsonl", "a") as fh:
                fh.write(json.dumps(point) + "\n")
            save_weights(
                args.out / f"weights_step{step}.npz",
                torch_state_to_arrays(model),
                cfg,
                {"name": f"{args.out.name} step {step}", "config": asdict(cfg)},
            )
            print(json.dumps(point), flush=True)
        if rank == 0 and (step % args.every == 0 or finished):
            torch.save(
                {
                    "model": model.state_dict(),
                    "opt": opt.state_dict(),
                    "step": step,
                    "averaged": average.state_dict() if average is not None else None,
                    "args": vars(args)
                    | {
                        "out": str(args.out),
                        "config": str(args.config),
                        "real": [str(r) for r in args.real],
                        "library": str(args.library),
                        "init": str(args.init),
                    },
                },
                ckpt.with_suffix(".tmp"),
            )
            os.replace(ckpt.with_suffix(".tmp"), ckpt)
    if rank == 0:
        model.eval()
        with torch.no_grad():
            vb = to_t(val)
            _, _, vm = losses(model(vb["inputs"]), vb, cfg, args, torch)
        card = {
            "name": args.out.name,
            "training": {
                "steps": step,
                "batch": args.batch,
                "lr": args.lr,
                "seed": args.seed,
                "rotation": cfg.rotation,
                "loss": args.loss,
                "supervision": args.supervision,
                "device": str(device),
                "real_clips": [Path(r).name for r in args.real],
                "real_fraction": args.real_fraction,
                "library": str(args.library) if args.library else None,
                "init": str(args.init) if args.init else None,
                "anchored_fraction": args.anchored_fraction,
                "mixed_fraction": args.mixed_fraction,
                "random_bodies": args.random_bodies,
                "subject_bodies": args.subject_bodies,
                "jitter": args.jitter,
                "white": args.white,
                "tilted": args.tilted,
                "high": args.high,
                "detector_pairs": [str(f) for f in args.detector_pairs] if args.detector_pairs else None,
                "pairs_fraction": args.pairs_fraction,
                "pairs_max_world_mm": args.pairs_max_world_mm,
                "clean": args.clean,
                "dropout": args.dropout,
                "whole_frame": cfg.whole_frame,
                "local": cfg.local,
            },
            "validation_synthetic": {k: round(v, 2) for k, v in vm.items()},
            "config": asdict(cfg),
        }
        save_weights(args.out / "weights.npz", torch_state_to_arrays(model), cfg, card)
        if average is not None:
            average.copy_into(shadow)
            card_avg = card | {"name": f"{args.out.name}, averaged (half-life {args.average:g} steps)"}
            card_avg["training"] = card["training"] | {"average_half_life_steps": args.average}
            save_weights(args.out / "averaged.npz", torch_state_to_arrays(shadow), cfg, card_avg)
        print(json.dumps(card["validation_synthetic"]))
    if distributed:
        torch.distributed.barrier()  # every rank done before the group goes (gloo aborted at exit without it)
        torch.distributed.destroy_process_group()
    return 0


if __name__ == "__main__":
    sys.exit(main())
