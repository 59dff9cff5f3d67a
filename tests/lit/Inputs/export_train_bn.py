"""Exports a BatchNorm1d in training mode (which updates its running statistics) with
the installed torch, a real archive that functionalize rejects at the user's line.

usage: export_train_bn.py OUT.pt2
"""
import sys

import torch


class TrainBN(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.bn = torch.nn.BatchNorm1d(3)

    def forward(self, x):
        return self.bn(x)  # the line the error points at


def main():
    torch.manual_seed(0)
    ep = torch.export.export(TrainBN().train(), (torch.randn(4, 3),), strict=False)
    torch.export.save(ep, sys.argv[1])


if __name__ == "__main__":
    main()
