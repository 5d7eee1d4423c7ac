"""A script as written for PyTorch (run with argument "torch"), run with ``import tinynn as torch`` (argument
"tinynn") by tests/test_pytorch_scripts.py: the same lines, only the imports chosen by the argument.
Policy-gradient training as reinforcement-learning code writes it: REINFORCE with normalised returns and a
Categorical policy, an actor-critic with a value head and smooth_l1_loss, and PPO's clipped objective
for a Gaussian policy with generalised advantage estimates. The actions are fixed (drawn from a seeded
NumPy generator) so that both frameworks see the same episode; the policies' own draws are used only where
the printed numbers do not depend on them."""
import sys

import numpy as np

if sys.argv[1] == "tinynn":
    import tinynn as torch
    import tinynn.nn as nn
    import tinynn.nn.functional as F
    from tinynn.distributions import Categorical, Normal
else:
    import torch
    import torch.nn as nn
    import torch.nn.functional as F
    from torch.distributions import Categorical, Normal

torch.set_default_dtype(torch.float64)
rng = np.random.default_rng(0)
eps = np.finfo(np.float32).eps.item()


def fill(module):
    """The same weights in both frameworks: a ramp over each parameter."""
    with torch.no_grad():
        for parameter in module.parameters():
            parameter.copy_(torch.linspace(-0.3, 0.3, parameter.numel()).reshape(parameter.shape))
    return module


class Policy(nn.Module):
    def __init__(self):
        super().__init__()
        self.affine1 = nn.Linear(4, 16)
        self.dropout = nn.Dropout(p=0.0)
        self.action_head = nn.Linear(16, 2)
        self.value_head = nn.Linear(16, 1)
        self.saved_log_probs, self.rewards = [], []

    def forward(self, x):
        x = F.relu(self.dropout(self.affine1(x)))
        return F.softmax(self.action_head(x), dim=-1), self.value_head(x)


states = rng.standard_normal((12, 4))
actions = rng.integers(0, 2, 12)
rewards = rng.uniform(0.0, 1.0, 12)

# REINFORCE
policy = fill(Policy())
optimizer = torch.optim.Adam(policy.parameters(), lr=1e-2)
for episode in range(3):
    for state, action, reward in zip(states, actions, rewards):
        probs, _ = policy(torch.from_numpy(state).unsqueeze(0))
        m = Categorical(probs)
        policy.saved_log_probs.append(m.log_prob(torch.tensor([int(action)])))
        policy.rewards.append(float(reward))
    R, returns = 0, []
    for r in policy.rewards[::-1]:
        R = r + 0.99 * R
        returns.insert(0, R)
    returns = torch.tensor(returns)
    returns = (returns - returns.mean()) / (returns.std() + eps)
    policy_loss = [-log_prob * R for log_prob, R in zip(policy.saved_log_probs, returns)]
    optimizer.zero_grad()
    loss = torch.cat(policy_loss).sum()
    loss.backward()
    optimizer.step()
    del policy.rewards[:], policy.saved_log_probs[:]
    print(f"reinforce episode {episode}: loss {loss.item():.9f}")

# actor-critic
policy = fill(Policy())
optimizer = torch.optim.Adam(policy.parameters(), lr=3e-2)
for episode in range(3):
    probs, values = policy(torch.from_numpy(states))
    m = Categorical(probs)
    log_probs = m.log_prob(torch.from_numpy(actions))
    R, returns = 0, []
    for r in rewards[::-1]:
        R = r + 0.99 * R
        returns.insert(0, R)
    returns = torch.tensor(returns)
    returns = (returns - returns.mean()) / (returns.std() + eps)
    advantage = returns - values.squeeze(-1).detach()
    policy_loss = (-log_probs * advantage).sum()
    value_loss = F.smooth_l1_loss(values.squeeze(-1), returns, reduction="sum")
    entropy = m.entropy().mean()
    optimizer.zero_grad()
    total = policy_loss + value_loss - 0.01 * entropy
    total.backward()
    optimizer.step()
    print(f"actor-critic episode {episode}: policy {policy_loss.item():.9f} value {value_loss.item():.9f} "
          f"entropy {entropy.item():.9f}")

# PPO with a Gaussian policy and generalised advantage estimates
actor = fill(nn.Sequential(nn.Linear(4, 16), nn.Tanh(), nn.Linear(16, 2)))
critic = fill(nn.Sequential(nn.Linear(4, 16), nn.Tanh(), nn.Linear(16, 1)))
log_std = nn.Parameter(torch.zeros(2) - 0.5)
optimizer = torch.optim.Adam(list(actor.parameters()) + list(critic.parameters()) + [log_std], lr=3e-3, eps=1e-5)
observations = torch.from_numpy(states)
taken = torch.from_numpy(rng.standard_normal((12, 2)))
dones = torch.from_numpy((rng.uniform(size=12) < 0.2).astype(np.float64))
rewards_t = torch.from_numpy(rewards)
with torch.no_grad():
    old_log_probs = Normal(actor(observations), log_std.exp()).log_prob(taken).sum(-1)
    values = critic(observations).squeeze(-1)
    advantages, last = torch.zeros_like(rewards_t), 0.0
    for t in reversed(range(12)):
        next_value = values[t + 1] if t + 1 < 12 else torch.tensor(0.0)
        delta = rewards_t[t] + 0.99 * next_value * (1 - dones[t]) - values[t]
        last = delta + 0.99 * 0.95 * (1 - dones[t]) * last
        advantages[t] = last
    targets = advantages + values
for update in range(3):
    distribution = Normal(actor(observations), log_std.exp())
    new_log_probs = distribution.log_prob(taken).sum(-1)
    ratio = (new_log_probs - old_log_probs).exp()
    normalised = (advantages - advantages.mean()) / (advantages.std() + 1e-8)
    clipped = torch.clamp(ratio, 1 - 0.2, 1 + 0.2) * normalised
    actor_loss = -torch.min(ratio * normalised, clipped).mean()
    critic_loss = F.mse_loss(critic(observations).squeeze(-1), targets)
    loss = actor_loss + 0.5 * critic_loss - 0.01 * distribution.entropy().sum(-1).mean()
    optimizer.zero_grad()
    loss.backward()
    norm = nn.utils.clip_grad_norm_(list(actor.parameters()) + list(critic.parameters()) + [log_std], 0.5)
    optimizer.step()
    # (rounded, then + 0.0: the first update's actor loss is the mean of normalised advantages, zero up to rounding,
    # whose sign may differ between the frameworks' sums)
    print(f"ppo update {update}: actor {round(actor_loss.item(), 9) + 0.0:.9f} critic {critic_loss.item():.9f} "
          f"grad norm {float(norm):.9f} clipped fraction {((ratio - 1).abs() > 0.2).double().mean().item():.3f}")
draw = Normal(actor(observations), log_std.exp()).rsample()
print("a reparameterised draw's shape", tuple(draw.shape), "requires grad", draw.requires_grad)
