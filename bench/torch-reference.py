"""PyTorch-CPU reference for bench/train-throughput.ts: the same models, batch and optimizer, on 2 threads.

Usage: python3 bench/torch-reference.py [batch] [models, default cnn,mobilenet]
Prints one JSON object: {"torch": version, "threads": n, "cnn": images/s, "mobilenet": images/s} (the models asked for).
The MobileNetV2 is written out here (torchvision is not installed): BatchNorm folded into conv biases
as in the autofed bundle, backbone frozen (no_grad), only the dense head trained.
"""
import json
import sys
import time

import torch
import torch.nn as nn
import torch.nn.functional as F

torch.set_num_threads(2)
torch.manual_seed(0)


class FedAvgCnn(nn.Module):
    def __init__(self, classes=10):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 32, 5, padding=2)
        self.conv2 = nn.Conv2d(32, 64, 5, padding=2)
        self.fc1 = nn.Linear(7 * 7 * 64, 512)
        self.head = nn.Linear(512, classes)

    def forward(self, x):
        x = F.max_pool2d(F.relu(self.conv1(x)), 2)
        x = F.max_pool2d(F.relu(self.conv2(x)), 2)
        return self.head(F.relu(self.fc1(x.flatten(1))))


def block(cin, cout, stride, expand):
    hidden = cin * expand
    layers = []
    if expand != 1:
        layers += [nn.Conv2d(cin, hidden, 1), nn.ReLU6()]
    layers += [nn.Conv2d(hidden, hidden, 3, stride, 1, groups=hidden), nn.ReLU6(), nn.Conv2d(hidden, cout, 1)]
    return nn.Sequential(*layers), stride == 1 and cin == cout


class Backbone(nn.Module):
    SETTINGS = [(1, 16, 1, 1), (6, 24, 2, 2), (6, 32, 3, 2), (6, 64, 4, 2), (6, 96, 3, 1), (6, 160, 3, 2), (6, 320, 1, 1)]

    def __init__(self):
        super().__init__()
        self.stem = nn.Sequential(nn.Conv2d(3, 32, 3, 2, 1), nn.ReLU6())
        self.blocks = nn.ModuleList()
        self.residual = []
        cin = 32
        for t, c, n, s in self.SETTINGS:
            for i in range(n):
                b, res = block(cin, c, s if i == 0 else 1, t)
                self.blocks.append(b)
                self.residual.append(res)
                cin = c
        self.last = nn.Sequential(nn.Conv2d(cin, 1280, 1), nn.ReLU6())

    def forward(self, x):
        x = self.stem(x)
        for b, res in zip(self.blocks, self.residual):
            x = x + b(x) if res else b(x)
        return self.last(x)


def throughput(step, batch, steps):
    step()
    start = time.perf_counter()
    for _ in range(steps):
        step()
    return steps * batch / (time.perf_counter() - start)


def cnn(batch, steps):
    model = FedAvgCnn()
    opt = torch.optim.SGD(model.parameters(), lr=0.01)
    x = torch.rand(batch, 1, 28, 28)
    y = torch.randint(0, 10, (batch,))

    def step():
        opt.zero_grad()
        F.cross_entropy(model(x), y).backward()
        opt.step()

    return throughput(step, batch, steps)


def mobilenet(batch, steps):
    backbone = Backbone().eval()
    for p in backbone.parameters():
        p.requires_grad_(False)
    head = nn.Linear(1280, 10)
    drop = nn.Dropout(0.2)
    opt = torch.optim.SGD(head.parameters(), lr=0.01)
    x = torch.rand(batch, 3, 224, 224)
    y = torch.randint(0, 10, (batch,))

    def step():
        opt.zero_grad()
        with torch.no_grad():
            features = backbone(x).mean((2, 3))
        F.cross_entropy(head(drop(features)), y).backward()
        opt.step()

    return throughput(step, batch, steps)


if __name__ == "__main__":
    batch = int(sys.argv[1]) if len(sys.argv) > 1 else 32
    models = sys.argv[2].split(",") if len(sys.argv) > 2 else ["cnn", "mobilenet"]
    runs = {"cnn": lambda: cnn(batch, 20), "mobilenet": lambda: mobilenet(batch, 3)}
    result = {"torch": torch.__version__, "threads": torch.get_num_threads()}
    for name in models:
        result[name] = runs[name]()
    print(json.dumps(result))
