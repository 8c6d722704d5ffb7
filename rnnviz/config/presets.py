"""Named RunConfigs: the models teachers start from, each with its source and the target it must reach."""

from __future__ import annotations

from dataclasses import dataclass

from rnnviz.config import CifarData, CosineData, CsvData, ImdbData, MemoryData, RunConfig, TextData, TextFileData


MEMORY_EPOCHS = 9


@dataclass(frozen=True)
class Preset:
    """A named config with where it comes from and what it should reach."""

    name: str
    config: RunConfig
    description: str
    source: str
    target: str
    metric: str = ""
    goal: float = 0.0
    max_seconds: float | None = None

    def meets(self, metrics: dict[str, float], train_seconds: float) -> bool:
        """True when a run's metrics reach the goal (and in time, when the preset sets a time limit)."""
        value = metrics.get(self.metric)
        if value is None:
            return False
        lower = self.metric.endswith(("mse", "bpc", "perplexity", "_ratio"))  # errors: lower is better
        ok = value <= self.goal if lower else value >= self.goal
        ok = ok and metrics.get("perplexity_ratio", 0.0) < 1.0  # a language model also beats its n-gram
        return ok and (self.max_seconds is None or train_seconds <= self.max_seconds)


_ADDING = "the adding problem of Hochreiter & Schmidhuber (1997), T = 50"
# one trio: only the cell differs, so the Compare page's "Train the trio" on memory-lstm trains exactly these
_MEMORY = RunConfig(data=MemoryData(steps=50), units=64, epochs=MEMORY_EPOCHS, batch_size=64,
                    learning_rate=0.003)
_CHAR_RNN = "char-rnn (Karpathy, 2015) on the IMDB reviews' text"
_WORD_LM = "the word-level LSTM language model of TensorFlow's PTB tutorial (Zaremba et al., 2014), on IMDB text"
_IMDB_TUTORIAL = "TensorFlow's 'Text classification with an RNN' tutorial"
_CIFAR_TUTORIAL = "the Keras CNN + BiLSTM CIFAR-10 notebook"

PRESETS: dict[str, Preset] = {p.name: p for p in [
    Preset("cosine-lstm", RunConfig(data=CosineData(), cell="lstm", units=32, epochs=20),
           "LSTM(32) predicting the next value of a cosine from the last 50",
           "the classic numpy 'RNN from scratch' sine/cosine tutorial (val RMSE 0.57)",
           "val RMSE <= 0.01 in under 30 s on a 2-core CPU", "val_rmse", 0.01, 30.0),
    Preset("memory-simple-rnn", _MEMORY.replace(cell="simple_rnn"),
           "SimpleRNN(64) adding the two marked values of 50 (value, marker) steps",
           f"{_ADDING}: a plain RNN stays near the constant-answer baseline (1/6)",
           "none: its figure is the lesson (expect about the baseline, 0.167)"),
    Preset("memory-lstm", _MEMORY.replace(cell="lstm"),
           "LSTM(64) adding the two marked values of 50 (value, marker) steps", _ADDING,
           "val MSE <= 0.01 (1/16 of the baseline) in <= 90 s of training on a 2-core CPU", "val_mse", 0.01,
           90.0),
    Preset("memory-gru", _MEMORY.replace(cell="gru"),
           "GRU(64) adding the two marked values of 50 (value, marker) steps", _ADDING,
           "val MSE <= 0.01 (1/16 of the baseline) in <= 90 s of training on a 2-core CPU", "val_mse", 0.01,
           90.0),
    Preset("imdb-bilstm",
           RunConfig(data=ImdbData(vocab_size=10000, maxlen=256), cell="lstm", bidirectional=True, units=64,
                     embedding_dim=32, head_units=64, epochs=2, batch_size=32, learning_rate=0.001),
           "Embedding(10000, 32) -> BiLSTM(64) -> Dense(64, relu) -> Dense(1, sigmoid), 256 words",
           f"{_IMDB_TUTORIAL}: 84.4% test accuracy after 10 epochs", "test accuracy >= 87%",
           "test_accuracy", 0.87),
    Preset("imdb-stacked-bilstm",
           RunConfig(data=ImdbData(vocab_size=20000, maxlen=200), cell="lstm", bidirectional=True, layers=2,
                     units=64, embedding_dim=128, epochs=2, batch_size=32, learning_rate=0.001),
           "20k words, 200 per review, Embedding 128 -> BiLSTM(64) -> BiLSTM(64) -> Dense(1, sigmoid)",
           "the Keras example 'Bidirectional LSTM on IMDB': 85.5% validation accuracy at best",
           "test accuracy >= 87%", "test_accuracy", 0.87),
    Preset("imdb-bilstm-meanpool",
           RunConfig(data=ImdbData(vocab_size=10000, maxlen=200), cell="lstm", bidirectional=True, layers=2,
                     units=128, embedding_dim=128, dropout=0.2, head_units=128, pooling="mean", epochs=2,
                     batch_size=64, learning_rate=0.001),
           "10k words, 200 per review, Embedding 128, dropout 0.2 -> 2 x BiLSTM(128) -> Dense(128, relu) per "
           "step -> mean over time -> output (Dense(2, softmax) in the source; here the equivalent "
           "Dense(1, sigmoid))",
           "a 2-layer BiLSTM mean-pooling sentiment model (no figure given)", "test accuracy >= 87%",
           "test_accuracy", 0.87),
    Preset("cifar-cnn-bilstm",
           RunConfig(data=CifarData(), cell="lstm", bidirectional=True, units=50, front_end="conv",
                     conv_filters=32, epochs=8, batch_size=64, learning_rate=0.001),
           "Conv2D(32, 3, same) -> BatchNorm -> MaxPool(2) -> 16 rows -> BiLSTM(50) -> Dense(10, softmax)",
           f"{_CIFAR_TUTORIAL}: 45.2% after 3 epochs", "test accuracy >= 55%", "test_accuracy", 0.55),
    Preset("cifar-cnn-and-bilstm",
           RunConfig(data=CifarData(), cell="lstm", bidirectional=True, units=50, front_end="conv+rnn",
                     conv_filters=32, head_units=60, epochs=6, batch_size=32, learning_rate=0.001),
           "[Conv -> BN -> Pool -> Flatten -> Dense(60, relu)] beside [rows -> BiLSTM(50) -> Dense(60, relu)], "
           "concatenated -> Dense(10, softmax)",
           f"{_CIFAR_TUTORIAL}: 50.0-50.6% after 3 epochs", "test accuracy >= 58%", "test_accuracy", 0.58),
    Preset("cifar-rows-bilstm",
           RunConfig(data=CifarData(), cell="lstm", bidirectional=True, units=128, epochs=15, batch_size=64,
                     learning_rate=0.001),
           "32 image rows of 96 values -> BiLSTM(128) -> Dense(10, softmax)",
           "the row-by-row reading of the Keras MNIST RNN tutorial (no figure given)", "test accuracy >= 50%",
           "test_accuracy", 0.50),
    Preset("imdb-char-lm",
           RunConfig(data=TextData(level="char", seq_len=100, train_size=5000, val_size=500), cell="lstm",
                     units=256, embedding_dim=32, epochs=10, batch_size=64, learning_rate=0.005),
           "LSTM(256) predicting the next character of IMDB reviews (500,000 characters of training text)",
           _CHAR_RNN, "val bits per character <= 2.3 and below the same run's 5-gram, in <= 5 min on a 2-core CPU",
           "val_bpc", 2.3, 300.0),
    Preset("imdb-word-lm",
           RunConfig(data=TextData(level="word", vocab_size=2000, seq_len=32, train_size=12000, val_size=500),
                     cell="lstm", units=192, embedding_dim=64, epochs=10, batch_size=64, learning_rate=0.005),
           "LSTM(192) predicting the next word of IMDB reviews (2,000-word vocabulary, 384,000 training words)",
           _WORD_LM, "val perplexity below the same run's bigram (goal: 25% below) in <= 5 min on a 2-core CPU",
           "perplexity_ratio", 0.75, 300.0),
    Preset("imdb-quick",
           RunConfig(data=ImdbData(vocab_size=10000, maxlen=200), cell="gru", units=32, embedding_dim=32,
                     epochs=2, batch_size=64, learning_rate=0.003),
           "a quick one for a 2-core laptop: Embedding 32 -> GRU(32) -> Dense(1, sigmoid), 200 words",
           "-", "test accuracy >= 85% in <= 90 s of training on a 2-core CPU", "test_accuracy", 0.85, 90.0),
    Preset("cifar-quick",
           RunConfig(data=CifarData(), cell="gru", units=64, front_end="conv", conv_filters=32, epochs=4,
                     batch_size=64, learning_rate=0.001),
           "a quick one for a 2-core laptop: Conv2D(32) -> BatchNorm -> MaxPool -> 16 rows -> GRU(64) -> "
           "Dense(10, softmax)",
           "-", "test accuracy >= 45% in <= 90 s of training on a 2-core CPU", "test_accuracy", 0.45, 90.0),
    Preset("reviews-char-lm",
           RunConfig(data=TextFileData(level="char", chars=96, seq_len=200, train_size=3000, val_size=250),
                     cell="gru", units=256, embedding_dim=32, epochs=9, batch_size=16, learning_rate=0.005,
                     lr_decay="cosine"),
           "GRU(256) predicting the next character of the raw IMDB reviews, case, punctuation and line breaks "
           "kept (aclImdb; 600,000 characters of training text in windows of 200; the learning rate decays "
           "along a cosine)",
           "char-rnn (Karpathy, 2015) on Stanford's raw aclImdb reviews",
           "val bits per character below the same run's 5-gram (goal: 5% below) in <= 5 min on a 2-core CPU",
           "bpc_ratio", 0.95, 300.0),
    Preset("csv-lstm", RunConfig(data=CsvData(), cell="lstm", units=32, epochs=20),
           "LSTM(32) forecasting the next value of your own CSV series from the last 24 rows (upload a file, or "
           "--csv FILE)", "-", "none: compare its validation RMSE with persistence and seasonal-naive"),
]}


def get(name: str) -> Preset:
    """The preset with this name.

    Raises:
        ValueError: naming the unknown preset and the known ones.
    """
    if name not in PRESETS:
        raise ValueError(f"`preset` must be one of {', '.join(PRESETS)}. Received: preset={name!r}")
    return PRESETS[name]
