"""Learning-rate schedules give torch.optim.lr_scheduler's sequences."""

from __future__ import annotations

import pytest
import torch
from _tolerance import assert_close

import neuralab as nl
from neuralab import nn, optim
from neuralab.optim.lr_scheduler import CosineAnnealingLR, StepLR


@pytest.mark.parametrize(
    ("ours", "theirs"),
    [
        (lambda o: StepLR(o, step_size=3, gamma=0.5),
         lambda o: torch.optim.lr_scheduler.StepLR(o, step_size=3, gamma=0.5)),
        (lambda o: CosineAnnealingLR(o, T_max=10),
         lambda o: torch.optim.lr_scheduler.CosineAnnealingLR(o, T_max=10)),
        (lambda o: CosineAnnealingLR(o, T_max=7, eta_min=0.001),
         lambda o: torch.optim.lr_scheduler.CosineAnnealingLR(o, T_max=7, eta_min=0.001)),
    ],
)
def test_schedule_matches_torch(ours, theirs) -> None:
    opt = optim.SGD(nn.Linear(2, 2).parameters(), lr=0.05, momentum=0.9)
    topt = torch.optim.SGD(torch.nn.Linear(2, 2).parameters(), lr=0.05, momentum=0.9)
    sched, tsched = ours(opt), theirs(topt)
    ours_lrs, theirs_lrs = [], []
    for _ in range(12):
        ours_lrs.append(opt.param_groups[0]["lr"])
        theirs_lrs.append(topt.param_groups[0]["lr"])
        opt.step()
        topt.step()
        sched.step()
        tsched.step()
    # 12 steps of a few roundings each (a factor, a cosine, a quotient), relative to the largest
    # rate in play, the base 0.05: torch updates recursively, we may use the closed form
    assert_close(ours_lrs, theirs_lrs, scale=0.05, terms=12 * 8)
    assert sched.get_last_lr() == [opt.param_groups[0]["lr"]]


def test_scheduler_state_round_trip() -> None:
    opt = optim.SGD(nn.Linear(2, 2).parameters(), lr=0.1)
    sched = CosineAnnealingLR(opt, T_max=10)
    for _ in range(4):
        sched.step()
    saved = sched.state_dict()
    opt2 = optim.SGD(nn.Linear(2, 2).parameters(), lr=0.1)
    sched2 = CosineAnnealingLR(opt2, T_max=10)
    sched2.load_state_dict(saved)
    sched.step()
    sched2.step()
    assert sched2.last_epoch == 5
    assert opt2.param_groups[0]["lr"] == pytest.approx(opt.param_groups[0]["lr"])


def test_bad_arguments() -> None:
    opt = optim.SGD(nn.Linear(2, 2).parameters(), lr=0.1)
    with pytest.raises(ValueError, match="step_size"):
        StepLR(opt, step_size=0)
    with pytest.raises(ValueError, match="T_max"):
        CosineAnnealingLR(opt, T_max=0)


def test_step_lr_takes_a_float_step_size_as_torch_does() -> None:
    ours = nl.optim.SGD([nl.nn.Parameter(nl.ones(1))], lr=1.0)
    theirs = torch.optim.SGD([torch.nn.Parameter(torch.ones(1))], lr=1.0)
    schedules = (StepLR(ours, step_size=3.0, gamma=0.5),
                 torch.optim.lr_scheduler.StepLR(theirs, step_size=3.0, gamma=0.5))
    for _ in range(7):
        for opt, schedule in zip((ours, theirs), schedules):
            opt.step()
            schedule.step()
        assert ours.param_groups[0]["lr"] == theirs.param_groups[0]["lr"]  # powers of 1/2
    with pytest.raises(ValueError, match="step_size must be a positive number"):
        StepLR(ours, step_size=0)
