"""DistributedSampler against torch.utils.data.distributed.DistributedSampler (no MPI needed:
num_replicas and rank are given)."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from neuralab.data import DataLoader, TensorDataset
from neuralab.distributed import DistributedSampler

torch_dist = pytest.importorskip("torch.utils.data.distributed")

SIZES = (0, 1, 2, 5, 7, 10, 13, 64)
REPLICAS = (1, 2, 3, 4, 8)


@pytest.mark.parametrize("drop_last", [False, True])
def test_unshuffled_shards_are_torchs_exactly(drop_last: bool) -> None:
    checked = 0
    for n, replicas in itertools.product(SIZES, REPLICAS):
        data = list(range(n))
        for rank in range(replicas):
            ours = DistributedSampler(data, replicas, rank, shuffle=False, drop_last=drop_last)
            theirs = torch_dist.DistributedSampler(data, replicas, rank, shuffle=False,
                                                   drop_last=drop_last)
            assert list(ours) == list(theirs), (n, replicas, rank)
            assert len(ours) == len(theirs) == len(list(ours))
            checked += 1
    assert checked == len(SIZES) * sum(REPLICAS)


def test_padding_repeats_the_first_indices_and_drop_last_cuts_the_tail() -> None:
    # 10 examples on 4 ranks: padded to 12 with 0, 1; or cut to 8
    shards = [list(DistributedSampler(range(10), 4, r, shuffle=False)) for r in range(4)]
    assert shards == [[0, 4, 8], [1, 5, 9], [2, 6, 0], [3, 7, 1]]
    cut = [list(DistributedSampler(range(10), 4, r, shuffle=False, drop_last=True))
           for r in range(4)]
    assert cut == [[0, 4], [1, 5], [2, 6], [3, 7]]
    # fewer examples than ranks: the order is repeated as often as needed
    assert [list(DistributedSampler(range(2), 5, r, shuffle=False)) for r in range(5)] == \
        [[0], [1], [0], [1], [0]]


def test_shuffled_shards_partition_one_seeded_permutation() -> None:
    n, replicas = 103, 4  # padded to 104
    shards = [DistributedSampler(range(n), replicas, r, seed=11) for r in range(replicas)]
    for s in shards:
        s.set_epoch(2)
    order = np.random.default_rng(11 + 2).permutation(n)
    taken = [list(s) for s in shards]
    assert all(len(t) == 26 for t in taken)
    assert sorted(sum(taken, [])) == sorted([*range(n), int(order[0])])  # order[0] repeated
    assert taken[3][-1] == order[0]  # the pad is the permutation's first index
    for r in range(replicas):
        assert taken[r] == [*order.tolist(), int(order[0])][r::replicas]


def test_epochs_change_the_order_and_the_seed_makes_it_reproducible() -> None:
    a, b = (DistributedSampler(range(50), 2, 0, seed=5) for _ in range(2))
    first = list(a)
    assert first == list(a) == list(b)  # the same epoch: the same order, every time
    a.set_epoch(1)
    assert list(a) != first
    # the permutation is drawn from seed + epoch: (seed 5, epoch 1) is (seed 6, epoch 0)
    assert list(a) == list(DistributedSampler(range(50), 2, 0, seed=6))


def test_torch_draws_another_permutation_but_the_same_rules() -> None:
    # Documented: the shuffled order comes from NumPy's generator, not torch's.
    ours = list(DistributedSampler(range(40), 2, 0, seed=0))
    theirs = list(torch_dist.DistributedSampler(list(range(40)), 2, 0, seed=0))
    assert ours != theirs and len(ours) == len(theirs) == 20


def test_a_dataloader_batches_the_shard() -> None:
    data = TensorDataset(np.arange(20.0))
    sampler = DistributedSampler(data, 2, 1, shuffle=False)
    batches = [b[0].tolist() for b in DataLoader(data, batch_size=4, sampler=sampler)]
    assert batches == [[1.0, 3.0, 5.0, 7.0], [9.0, 11.0, 13.0, 15.0], [17.0, 19.0]]


def test_single_process_defaults_take_everything() -> None:
    sampler = DistributedSampler(range(7), shuffle=False)  # no launcher: 1 replica, rank 0
    assert (sampler.num_replicas, sampler.rank, list(sampler)) == (1, 0, list(range(7)))


@pytest.mark.parametrize("kwargs, message", [
    ({"num_replicas": 2, "rank": 2}, r"Invalid rank 2, rank should be in the interval \[0, 1\]"),
    ({"num_replicas": 2, "rank": -1}, "Invalid rank -1"),
    ({"num_replicas": 0, "rank": 0}, "num_replicas must be an integer >= 1, got 0"),
    ({"num_replicas": True, "rank": 0}, "num_replicas must be an integer >= 1, got True"),
    ({"num_replicas": 2, "rank": 0, "seed": -1}, "seed must be an integer >= 0, got -1"),
    ({"num_replicas": 2, "rank": 0, "shuffle": "yes"}, "shuffle must be True or False"),
    ({"num_replicas": 2, "rank": 0, "drop_last": 1}, "drop_last must be True or False"),
])
def test_bad_arguments_are_refused(kwargs: dict, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        DistributedSampler(range(4), **kwargs)


def test_bad_epoch_and_dataset() -> None:
    sampler = DistributedSampler(range(4), 2, 0)
    with pytest.raises(ValueError, match="epoch must be an integer >= 0, got 1.5"):
        sampler.set_epoch(1.5)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="dataset must have a len"):
        DistributedSampler(iter(range(4)), 2, 0)
