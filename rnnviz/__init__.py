"""RNN Explorer: train, store and look inside recurrent networks (Keras 3)."""
import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")  # keep TensorFlow's C++ start-up chatter off stderr
