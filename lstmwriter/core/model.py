"""The LSTM language model: embedding -> nn.LSTM -> dropout -> linear."""

from __future__ import annotations

import torch
from torch import nn

from .config import ModelConfig

__all__ = ["LSTMLanguageModel", "State"]

State = tuple[torch.Tensor, torch.Tensor]  # (h, c), each (num_layers, B, rnn_size)


class LSTMLanguageModel(nn.Module):
    """Predicts the next token at every position of a batch of token sequences."""

    def __init__(self, config: ModelConfig) -> None:
        super().__init__()
        self.config = config
        self.embedding = nn.Embedding(config.vocab_size, config.input_size)
        self.lstm = nn.LSTM(
            config.input_size,
            config.rnn_size,
            config.num_layers,
            batch_first=True,
            dropout=config.dropout if config.num_layers > 1 else 0.0,
        )
        self.dropout = nn.Dropout(config.dropout)
        self.head = nn.Linear(config.rnn_size, config.vocab_size)
        if config.tie_weights:
            self.head.weight = self.embedding.weight
        if config.init_range:
            for weight in self.parameters():
                nn.init.uniform_(weight, -config.init_range, config.init_range)

    def forward(
        self, tokens: torch.Tensor, state: State | None = None
    ) -> tuple[torch.Tensor, State]:
        """tokens (B, T) -> logits (B, T, V) and the state after the last step."""
        x = self.dropout(self.embedding(tokens))  # (B, T, E)
        y, state = self.lstm(x, state)  # (B, T, H)
        return self.head(self.dropout(y)), state  # (B, T, V)

    def init_state(self, batch: int, device: torch.device | str | None = None) -> State:
        """A zero state for `batch` sequences."""
        device = device or self.head.weight.device
        shape = (self.config.num_layers, batch, self.config.rnn_size)
        return (torch.zeros(shape, device=device), torch.zeros(shape, device=device))

    def num_parameters(self) -> int:
        return sum(p.numel() for p in self.parameters())
