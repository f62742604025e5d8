"""PyTorch-CPU side of bench/feature-cache.ts: the mobilenet-v2 head trained on a folder of 224x224 PNGs.

Usage: python3 bench/torch-feature-cache.py DIR EPOCHS [plain,flip,none]   (DIR holds <label>/<n>.png, as the bench writes it)
Prints one JSON row per epoch: {"who", "setting", "epoch", "seconds", "note"}.

The same work as autofed's participant: each epoch reads and decodes the PNGs (PIL), scales to [0, 1],
runs the frozen MobileNetV2 of bench/torch-reference.py (BatchNorm folded, no_grad, eval) and trains the
dense head (dropout 0.2, Adam lr 0.001, batch 32, shuffled). "Its own cache" is what one writes in PyTorch
for a frozen backbone: keep each image's pooled features (both flip views when flips are on) in a tensor
the first time, and train the head on that tensor afterwards. torch.set_num_threads(2): both cores.
"""
import importlib.util
import json
import os
import sys
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
from PIL import Image

spec = importlib.util.spec_from_file_location("torch_reference", os.path.join(os.path.dirname(__file__), "torch-reference.py"))
reference = importlib.util.module_from_spec(spec)
spec.loader.exec_module(reference)

torch.set_num_threads(2)
torch.manual_seed(0)
BATCH = 32

root, epochs = sys.argv[1], int(sys.argv[2])
items = sorted(
    ((os.path.join(label, name), int(label)) for label in os.listdir(root) if os.path.isdir(os.path.join(root, label)) for name in os.listdir(os.path.join(root, label))),
    key=lambda it: int(os.path.basename(it[0]).split(".")[0]),
)
labels = torch.tensor([label for _, label in items])
backbone = reference.Backbone().eval()
for p in backbone.parameters():
    p.requires_grad_(False)


def load(indices):
    arrays = [np.asarray(Image.open(os.path.join(root, items[i][0])).convert("RGB"), dtype=np.float32) for i in indices]
    return torch.from_numpy(np.stack(arrays)).permute(0, 3, 1, 2) / 255.0


def features(x):
    with torch.no_grad():
        return backbone(x).mean((2, 3))


def run(setting, epochs, cache, flip):
    head = nn.Linear(1280, 10)
    drop = nn.Dropout(0.2)
    opt = torch.optim.Adam(head.parameters(), lr=0.001)
    stored = None  # [n, views, 1280]
    generator = torch.Generator().manual_seed(1)
    for epoch in range(1, epochs + 1):
        start = time.perf_counter()
        order = torch.randperm(len(items), generator=generator)
        flips = torch.rand(len(items), generator=generator) < 0.5 if flip else torch.zeros(len(items), dtype=torch.bool)
        if cache and stored is None:
            stored = torch.empty(len(items), 2 if flip else 1, 1280)
            filled = torch.zeros(len(items), dtype=torch.bool)
        loss_sum = 0.0
        for b in range(0, len(items), BATCH):
            idx = order[b : b + BATCH]
            if cache and bool(filled[idx].all()):
                f = stored[idx, flips[idx].long() if flip else 0]
            else:
                x = load(idx.tolist())
                if cache:
                    stored[idx, 0] = features(x)
                    if flip:
                        stored[idx, 1] = features(torch.flip(x, [3]))
                    filled[idx] = True
                    f = stored[idx, flips[idx].long() if flip else 0]
                else:
                    x = torch.where(flips[idx].view(-1, 1, 1, 1), torch.flip(x, [3]), x)
                    f = features(x)
            opt.zero_grad()
            loss = F.cross_entropy(head(drop(f)), labels[idx])
            loss.backward()
            opt.step()
            loss_sum += loss.item() * len(idx)
        seconds = time.perf_counter() - start
        note = f"torch {torch.__version__}, {torch.get_num_threads()} threads, {len(items)} images, loss {loss_sum / len(items):.3f}"
        print(json.dumps({"who": "PyTorch", "setting": setting, "epoch": epoch, "seconds": seconds, "note": note}), flush=True)


for setting in (sys.argv[3] if len(sys.argv) > 3 else "plain,flip,none").split(","):
    if setting == "plain":
        run("feature cache, no augmentation", epochs, cache=True, flip=False)
    elif setting == "flip":
        run("feature cache, random flips (bundle default)", epochs, cache=True, flip=True)
    elif setting == "none":
        run("no feature cache (every epoch runs the backbone)", 1, cache=False, flip=False)
    else:
        sys.exit(f'unknown setting "{setting}" (plain, flip, none)')
