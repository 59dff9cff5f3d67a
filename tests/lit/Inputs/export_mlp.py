"""Exports a small MLP with the installed torch and saves it as a real .pt2 archive.

usage: export_mlp.py OUT.pt2 [--strict]
"""
import sys

import torch


class MLP(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1 = torch.nn.Linear(8, 16)
        self.fc2 = torch.nn.Linear(16, 4)

    def forward(self, x):
        return self.fc2(torch.relu(self.fc1(x)))


def main():
    out = sys.argv[1]
    strict = "--strict" in sys.argv[2:]
    torch.manual_seed(0)
    model = MLP().eval()
    ep = torch.export.export(model, (torch.randn(2, 8),), strict=strict)
    torch.export.save(ep, out)


if __name__ == "__main__":
    main()
