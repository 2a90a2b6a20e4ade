import torch

from lstmwriter.core.events import CheckpointSaved, Finished, Progress, Sample
from lstmwriter.core.store import load_model_dir
from lstmwriter.core.training import Trainer, TrainingControl

from .helpers import tiny_job


def test_loss_falls_and_events_arrive(tiny_corpus, tmp_path):
    events = []
    trainer = Trainer(tiny_job(tiny_corpus, tmp_path / "m", epochs=6))
    assert trainer.run(events.append) == "done"
    vals = [e.val_loss for e in events if isinstance(e, Progress) and e.val_loss]
    assert len(vals) >= 3 and vals[-1] < vals[0] - 0.3
    assert {0.2, 0.5, 1.0, 1.2} <= {e.temperature for e in events
                                    if isinstance(e, Sample)}
    assert isinstance(events[-1], Finished) and events[-1].outcome == "done"
    assert any(isinstance(e, CheckpointSaved) for e in events)
    assert all(e.to_dict()["event"] and "step" in e.to_dict() for e in events)


def test_saved_model_gives_identical_outputs(tiny_corpus, tmp_path):
    trainer = Trainer(tiny_job(tiny_corpus, tmp_path / "m", epochs=1, eval_every=1000))
    trainer.run()
    loaded = load_model_dir(tmp_path / "m")
    x = torch.randint(0, loaded.tokenizer.vocab_size, (2, 12))
    trainer.model.eval()
    with torch.no_grad():
        assert torch.equal(trainer.model(x)[0], loaded.model(x)[0])
    assert loaded.meta["metrics"]["val_loss"] > 0
    assert loaded.meta["corpus"]["files_used"] == 2


def test_resume_after_cancel_matches_an_uninterrupted_run(tiny_corpus, tmp_path):
    whole = Trainer(tiny_job(tiny_corpus, tmp_path / "whole", epochs=3))
    whole.run()

    control = TrainingControl()

    def cancel_midway(event):
        if isinstance(event, Progress) and event.step >= 25:
            control.cancel()

    first = Trainer(tiny_job(tiny_corpus, tmp_path / "split", epochs=3))
    assert first.run(cancel_midway, control) == "cancelled"
    stopped_at = first.state.step
    assert 25 <= stopped_at < whole.state.step
    # the stop saved a model
    assert load_model_dir(tmp_path / "split").model is not None

    second = Trainer(tiny_job(tiny_corpus, tmp_path / "split", resume=True, epochs=3))
    assert second.state.step == stopped_at
    assert second.run() == "done"
    assert second.state.step == whole.state.step
    for key, value in whole.model.state_dict().items():
        assert torch.equal(value, second.model.state_dict()[key]), key


def test_cancel_is_prompt_and_pause_holds(tiny_corpus, tmp_path):
    import threading
    import time

    control = TrainingControl()
    trainer = Trainer(tiny_job(tiny_corpus, tmp_path / "m", epochs=500,
                               eval_every=10**6))
    events = []
    thread = threading.Thread(target=trainer.run, args=(events.append, control))
    thread.start()
    deadline = time.monotonic() + 30
    while trainer.state.step < 3 and time.monotonic() < deadline:
        time.sleep(0.01)
    control.pause()
    time.sleep(0.3)
    held = trainer.state.step
    time.sleep(0.3)
    assert trainer.state.step <= held + 1
    control.resume()
    started = time.monotonic()
    control.cancel()
    thread.join(10)
    assert not thread.is_alive()
    assert time.monotonic() - started < 5
    assert events[-1].outcome == "cancelled"
    assert (tmp_path / "m" / "checkpoint.pt").is_file()


def test_nonfinite_loss_rolls_back_and_lowers_lr(tiny_corpus, tmp_path):
    trainer = Trainer(tiny_job(tiny_corpus, tmp_path / "m", epochs=1))
    lr = trainer.learning_rate
    with torch.no_grad():
        trainer._last_good = trainer._snapshot()
        trainer.model.head.bias.fill_(float("nan"))
    assert trainer._train_step(0) is None
    assert trainer.learning_rate == lr / 2
    assert torch.isfinite(trainer.model.head.bias).all()


def test_plateau_halves_the_learning_rate_only_after_patience_bad_evaluations(
        tiny_corpus, tmp_path, monkeypatch):
    from lstmwriter.core.evaluation import Evaluation

    trainer = Trainer(tiny_job(tiny_corpus, tmp_path / "m", learning_rate=0.01,
                               sample_length=0, plateau_patience=3,
                               plateau_patience_tokens=0))
    losses = iter([2.0, 1.9, 1.95, 1.92, 1.91, 1.93, 1.8, 1.85])
    monkeypatch.setattr(trainer, "_evaluate",
                        lambda: Evaluation(next(losses), 100, 1.0))
    rates = []
    for _ in range(8):
        trainer._validate(None)
        rates.append(trainer.learning_rate)
    # the third evaluation in a row without a new best halves it; a new best resets
    assert rates == [0.01, 0.01, 0.01, 0.01, 0.005, 0.005, 0.005, 0.005]
