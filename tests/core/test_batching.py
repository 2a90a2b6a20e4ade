import numpy as np
import pytest

from lstmwriter.core.batching import StreamBatches


@pytest.mark.parametrize("length,batch,seq", [(1000, 4, 7), (97, 3, 10), (64, 1, 64)])
def test_every_token_is_a_target_once_per_epoch(length, batch, seq):
    ids = np.arange(length)
    batches = StreamBatches(ids, batch, seq)
    targets, inputs = [], []
    for i in range(len(batches)):
        x, y = batches.window(i)
        assert x.shape == y.shape and x.shape[0] == batch
        assert (y == x + 1).all()  # y is x shifted by one within each stream
        targets.append(y)
        inputs.append(x)
    seen = np.concatenate([t.numpy() for t in targets], axis=1).ravel()
    assert len(seen) == len(set(seen.tolist())), "a token was a target twice"
    assert set(seen.tolist()) == set(range(1, batch * ((length - 1) // batch) + 1))


def test_streams_are_contiguous_across_windows():
    batches = StreamBatches(np.arange(100), 2, 5)
    first, _ = batches.window(0)
    second, _ = batches.window(1)
    assert (second[:, 0] == first[:, -1] + 1).all()


def test_rank_shares_partition_streams():
    ids = np.arange(401)
    whole = StreamBatches(ids, 4, 10).window(0)[0]
    parts = [StreamBatches(ids, 4, 10, rank=r, world=2).window(0)[0] for r in (0, 1)]
    assert (parts[0] == whole[0::2]).all() and (parts[1] == whole[1::2]).all()


def test_too_small_corpus():
    with pytest.raises(ValueError, match="too small"):
        StreamBatches(np.arange(3), 8, 4)
