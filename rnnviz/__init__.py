"""RNN Explorer: train, store and look inside recurrent networks (Keras 3)."""
