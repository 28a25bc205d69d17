"""One torch thread for tests: tiny tensors on a shared 2-core machine run far slower with two."""
import torch

torch.set_num_threads(1)
