"""Export a model as a single-step ONNX graph: one token and the state in, the
next-token logits and the new state out, for any ONNX runtime.

The graph is written with `onnx.helper` from the weights, op by op (Gather, MatMul,
Split, Sigmoid, Tanh), so it needs only the `onnx` package (the optional extra
`lstmwriter[onnx]`) and no tracing exporter. docs/INTEROP.md shows how to run it.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import torch

from .checkpoint import atomic_write
from .store import LoadedModel

__all__ = ["OPSET", "INPUTS", "OUTPUTS", "export_onnx"]

OPSET = 17  # onnxruntime >= 1.14 and most other runtimes run it
INPUTS = ("token", "h", "c")  # int64 (B,), float32 (L, B, H), float32 (L, B, H)
OUTPUTS = ("logits", "h_out", "c_out")  # float32 (B, V), (L, B, H), (L, B, H)


def export_onnx(loaded: LoadedModel, out_path: Path) -> None:
    """Write `loaded` as a one-step ONNX model to `out_path` (atomically).

    The vocabulary (tokenizer.to_dict()) and model settings go into the file's
    metadata as JSON under `lstmwriter.tokenizer` and `lstmwriter.model`. Raises
    ValueError if the `onnx` package is not installed.
    """
    try:
        import onnx
    except ImportError:
        raise ValueError(
            "ONNX export needs the onnx package: pip install 'lstmwriter[onnx]'"
        ) from None
    graph = _build_graph(onnx, loaded)
    model = onnx.helper.make_model(
        graph,
        opset_imports=[onnx.helper.make_opsetid("", OPSET)],
        producer_name="lstmwriter",
        doc_string=f"lstmwriter model {loaded.name}: one step of an LSTM language "
        "model",
    )
    model.ir_version = min(model.ir_version, 8)  # readable by older runtimes
    onnx.helper.set_model_props(model, {
        "lstmwriter.tokenizer": json.dumps(loaded.tokenizer.to_dict(),
                                           ensure_ascii=False),
        "lstmwriter.model": json.dumps(loaded.model.config.to_dict()),
    })
    onnx.checker.check_model(model)
    out_path = Path(out_path).expanduser()
    out_path.parent.mkdir(parents=True, exist_ok=True)
    atomic_write(out_path, model.SerializeToString())


def _build_graph(onnx, loaded: LoadedModel):
    """The one-step graph; PyTorch's gate order (i, f, g, o) is kept."""
    helper, tp = onnx.helper, onnx.TensorProto
    config = loaded.model.config
    weights = {k: v.detach().to("cpu", torch.float32).numpy()
               for k, v in loaded.model.state_dict().items()}
    layers, hidden, vocab = config.num_layers, config.rnn_size, config.vocab_size
    inits, nodes = [], []

    def const(name: str, array: np.ndarray) -> str:
        # np.array, not ascontiguousarray: that turns a 0-d index into shape (1,)
        inits.append(onnx.numpy_helper.from_array(np.array(array, order="C"), name))
        return name

    def node(op: str, inputs: list[str], outputs: list[str], **attrs) -> None:
        nodes.append(helper.make_node(op, inputs, outputs, **attrs))

    node("Gather", [const("embedding", weights["embedding.weight"]), "token"], ["x0"],
         axis=0)  # (B, E)
    x, h_outs, c_outs = "x0", [], []
    const("axis0", np.array([0], dtype=np.int64))
    for n in range(layers):
        p = f"l{n}_"
        const(p + "index", np.array(n, dtype=np.int64))
        node("Gather", ["h", p + "index"], [p + "h"], axis=0)  # (B, H)
        node("Gather", ["c", p + "index"], [p + "c"], axis=0)
        w_ih = const(p + "w_ih", weights[f"lstm.weight_ih_l{n}"].T)  # (in, 4H)
        w_hh = const(p + "w_hh", weights[f"lstm.weight_hh_l{n}"].T)  # (H, 4H)
        bias = const(p + "b", weights[f"lstm.bias_ih_l{n}"]
                     + weights[f"lstm.bias_hh_l{n}"])
        node("MatMul", [x, w_ih], [p + "xw"])
        node("MatMul", [p + "h", w_hh], [p + "hw"])
        node("Add", [p + "xw", p + "hw"], [p + "sum"])
        node("Add", [p + "sum", bias], [p + "gates"])  # (B, 4H)
        node("Split", [p + "gates"], [p + "i", p + "f", p + "g", p + "o"], axis=1)
        for gate, act in (("i", "Sigmoid"), ("f", "Sigmoid"), ("g", "Tanh"),
                          ("o", "Sigmoid")):
            node(act, [p + gate], [p + gate + "_a"])
        node("Mul", [p + "f_a", p + "c"], [p + "fc"])
        node("Mul", [p + "i_a", p + "g_a"], [p + "ig"])
        node("Add", [p + "fc", p + "ig"], [p + "c_new"])
        node("Tanh", [p + "c_new"], [p + "c_tanh"])
        node("Mul", [p + "o_a", p + "c_tanh"], [p + "h_new"])
        node("Unsqueeze", [p + "h_new", "axis0"], [p + "h_out"])  # (1, B, H)
        node("Unsqueeze", [p + "c_new", "axis0"], [p + "c_out"])
        h_outs.append(p + "h_out")
        c_outs.append(p + "c_out")
        x = p + "h_new"
    node("Concat", h_outs, ["h_out"], axis=0)
    node("Concat", c_outs, ["c_out"], axis=0)
    head = const("head_w", weights["head.weight"].T)  # (H, V)
    node("MatMul", [x, head], ["head_xw"])
    node("Add", ["head_xw", const("head_b", weights["head.bias"])], ["logits"])
    state = [layers, "batch", hidden]
    return helper.make_graph(
        nodes,
        "lstmwriter_step",
        [helper.make_tensor_value_info("token", tp.INT64, ["batch"]),
         helper.make_tensor_value_info("h", tp.FLOAT, state),
         helper.make_tensor_value_info("c", tp.FLOAT, state)],
        [helper.make_tensor_value_info("logits", tp.FLOAT, ["batch", vocab]),
         helper.make_tensor_value_info("h_out", tp.FLOAT, state),
         helper.make_tensor_value_info("c_out", tp.FLOAT, state)],
        inits,
    )
