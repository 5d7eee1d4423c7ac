"""A script as written for PyTorch (run with argument "torch"), run with ``import tinynn as torch`` (argument
"tinynn") by tests/test_pytorch_scripts.py: the same lines, only the imports chosen by the argument. The idioms of
PyTorch's classic tutorials, which reach the values through ``.data``: the character-level RNN that classifies names,
trained by hand (``p.data.add_(p.grad.data, alpha=-learning_rate)``) with its own RNN cell and topk; the fast gradient
sign attack (``data.grad.data.sign()``, ``output.max(1, keepdim=True)[1]``); neural style transfer, the image itself
optimised by L-BFGS with ``input_img.data.clamp_(0, 1)`` in the closure and Gram matrices by ``torch.mm``; a DQN
update from a replay memory of namedtuples (``gather``, ``max(1).values``, SmoothL1Loss, clip_grad_value_) with the
target network softly updated through its state dict; DCGAN's weights_init through ``m.weight.data.normal_``."""
import collections
import string
import sys

import numpy as np

if sys.argv[1] == "tinynn":
    import tinynn as torch
    import tinynn.nn as nn
    import tinynn.nn.functional as F
    import tinynn.optim as optim
else:
    import torch
    import torch.nn as nn
    import torch.nn.functional as F
    import torch.optim as optim

torch.set_default_dtype(torch.float64)
rng = np.random.default_rng(41)


def fill(module, scale=0.3):
    """The same weights in both frameworks: a ramp over each parameter."""
    with torch.no_grad():
        for parameter in module.parameters():
            parameter.copy_(torch.linspace(-scale, scale, parameter.numel()).reshape(parameter.shape))
    return module


# --- NLP from scratch: classifying names with a character-level RNN, trained by hand --------------------------
all_letters = string.ascii_letters + " .,;'"
n_letters = len(all_letters)
names = {"English": ["Smith", "Jones", "Taylor", "Brown", "Wilson"], "Italian": ["Rossi", "Russo", "Ferrari", "Bianchi"],
         "Japanese": ["Sato", "Suzuki", "Takahashi", "Tanaka", "Watanabe"]}
all_categories = list(names)


def line_to_tensor(line):
    tensor = torch.zeros(len(line), 1, n_letters)
    for li, letter in enumerate(line):
        tensor[li][0][all_letters.find(letter)] = 1
    return tensor


class RNN(nn.Module):
    def __init__(self, input_size, hidden_size, output_size):
        super().__init__()
        self.hidden_size = hidden_size
        self.i2h = nn.Linear(input_size, hidden_size)
        self.h2h = nn.Linear(hidden_size, hidden_size)
        self.h2o = nn.Linear(hidden_size, output_size)
        self.softmax = nn.LogSoftmax(dim=1)

    def forward(self, input, hidden):
        hidden = F.tanh(self.i2h(input) + self.h2h(hidden))
        output = self.softmax(self.h2o(hidden))
        return output, hidden

    def initHidden(self):
        return torch.zeros(1, self.hidden_size)


rnn = fill(RNN(n_letters, 16, len(all_categories)), scale=0.2)
criterion = nn.NLLLoss()
learning_rate = 0.1


def train(category_tensor, line_tensor):
    hidden = rnn.initHidden()
    rnn.zero_grad()
    for i in range(line_tensor.size()[0]):
        output, hidden = rnn(line_tensor[i], hidden)
    loss = criterion(output, category_tensor)
    loss.backward()
    for p in rnn.parameters():
        p.data.add_(p.grad.data, alpha=-learning_rate)
    return output, loss.item()


def category_from_output(output):
    top_n, top_i = output.topk(1)
    category_i = top_i[0].item()
    return all_categories[category_i], category_i


order = [(category, name) for category in all_categories for name in names[category]]
for epoch in range(6):
    total = 0.0
    for k in rng.permutation(len(order)):
        category, name = order[k]
        output, loss = train(torch.tensor([all_categories.index(category)], dtype=torch.long), line_to_tensor(name))
        total += loss
    print(f"epoch {epoch} names loss {total:.6f}")
with torch.no_grad():
    guesses = [category_from_output(rnn_output)[0] for rnn_output in
               [(lambda t: [rnn(t[i], h) for h in [rnn.initHidden()] for i in range(t.size(0))][-1][0])(line_to_tensor(n))
                for n in ("Sato", "Rossi")]]
rnn.zero_grad()
print("names", guesses, "zero_grad sets the gradients to None", rnn.i2h.weight.grad is None)


# --- Adversarial examples: the fast gradient sign method --------------------------------------------------------
class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 4, kernel_size=3)
        self.conv2 = nn.Conv2d(4, 8, kernel_size=3)
        self.fc1 = nn.Linear(8 * 2 * 2, 16)
        self.fc2 = nn.Linear(16, 3)

    def forward(self, x):
        x = F.relu(F.max_pool2d(self.conv1(x), 2))
        x = F.relu(F.max_pool2d(self.conv2(x), 2))
        x = x.view(-1, 8 * 2 * 2)
        x = F.relu(self.fc1(x))
        x = F.dropout(x, training=self.training)
        return F.log_softmax(self.fc2(x), dim=1)


def weights_init(m):
    classname = m.__class__.__name__
    if classname.find("Conv") != -1:
        m.weight.data.normal_(0.0, 0.02)
        m.weight.data.copy_(torch.linspace(-0.2, 0.3, m.weight.numel()).reshape(m.weight.shape))  # (the same in both)
        m.bias.data.fill_(0.01)
    elif classname.find("Linear") != -1:
        nn.init.normal_(m.weight.data, 0.0, 0.02)
        m.weight.data = torch.linspace(-0.05, 0.06, m.weight.numel()).reshape(m.weight.shape)
        m.bias.data.zero_()


model = Net()
model.apply(weights_init)
model.eval()
images = torch.tensor(rng.random((6, 1, 14, 14)))
targets = torch.tensor([0, 1, 2, 0, 1, 2])


def fgsm_attack(image, epsilon, data_grad):
    sign_data_grad = data_grad.sign()
    perturbed_image = image + epsilon * sign_data_grad
    perturbed_image = torch.clamp(perturbed_image, 0, 1)
    return perturbed_image


for epsilon in (0.0, 0.1, 0.3):
    changed, losses = 0, []
    for data, target in zip(images, targets):
        data, target = data.unsqueeze(0), target.unsqueeze(0)
        data.requires_grad = True
        output = model(data)
        init_pred = output.max(1, keepdim=True)[1]
        loss = F.nll_loss(output, target)
        model.zero_grad()
        loss.backward()
        data_grad = data.grad.data
        perturbed_data = fgsm_attack(data, epsilon, data_grad)
        output = model(perturbed_data)
        final_pred = output.max(1, keepdim=True)[1]
        changed += int(final_pred.item() != init_pred.item())
        losses.append(F.nll_loss(output, target).item())
    print(f"fgsm epsilon {epsilon} changed {changed} mean loss {np.mean(losses):.6f}")


# --- Neural style transfer: the image optimised by L-BFGS -----------------------------------------------------
def gram_matrix(input):
    a, b, c, d = input.size()
    features = input.view(a * b, c * d)
    G = torch.mm(features, features.t())
    return G.div(a * b * c * d)


class ContentLoss(nn.Module):
    def __init__(self, target):
        super().__init__()
        self.target = target.detach()

    def forward(self, input):
        self.loss = F.mse_loss(input, self.target)
        return input


class StyleLoss(nn.Module):
    def __init__(self, target_feature):
        super().__init__()
        self.target = gram_matrix(target_feature).detach()

    def forward(self, input):
        self.loss = F.mse_loss(gram_matrix(input), self.target)
        return input


class Normalization(nn.Module):
    def __init__(self, mean, std):
        super().__init__()
        self.mean = torch.tensor(mean).view(-1, 1, 1)
        self.std = torch.tensor(std).view(-1, 1, 1)

    def forward(self, img):
        return (img - self.mean) / self.std


features = fill(nn.Sequential(nn.Conv2d(3, 6, 3, padding=1), nn.ReLU(), nn.Conv2d(6, 6, 3, padding=1), nn.ReLU()), 0.4)
style_img = torch.tensor(rng.random((1, 3, 8, 8)))
content_img = torch.tensor(rng.random((1, 3, 8, 8)))
model = nn.Sequential(Normalization([0.485, 0.456, 0.406], [0.229, 0.224, 0.225]))
content_losses, style_losses = [], []
for i, layer in enumerate(features.children()):
    name = f"conv_{i}" if isinstance(layer, nn.Conv2d) else f"relu_{i}"
    if isinstance(layer, nn.ReLU):
        layer = nn.ReLU(inplace=False)
    model.add_module(name, layer)
    if name == "conv_2":
        target = model(content_img).detach()
        content_loss = ContentLoss(target)
        model.add_module(f"content_loss_{i}", content_loss)
        content_losses.append(content_loss)
    if name.startswith("relu"):
        target_feature = model(style_img).detach()
        style_loss = StyleLoss(target_feature)
        model.add_module(f"style_loss_{i}", style_loss)
        style_losses.append(style_loss)
model.eval()
model.requires_grad_(False)
input_img = content_img.clone()
input_img.requires_grad_(True)
optimizer = optim.LBFGS([input_img])
run = [0]
while run[0] <= 20:
    def closure():
        with torch.no_grad():
            input_img.clamp_(0, 1)
        optimizer.zero_grad()
        model(input_img)
        style_score = sum(sl.loss for sl in style_losses) * 1000
        content_score = sum(cl.loss for cl in content_losses)
        loss = style_score + content_score
        loss.backward()
        run[0] += 1
        return style_score + content_score

    optimizer.step(closure)
input_img.data.clamp_(0, 1)
print(f"style transfer runs {run[0]} style {sum(sl.loss for sl in style_losses).item():.4e}"
      f" content {sum(cl.loss for cl in content_losses).item():.4e} range {input_img.min().item():.4f} {input_img.max().item():.4f}")


# --- DQN: a replay memory, the Huber loss on gathered Q-values, a soft target update -----------------------------
Transition = collections.namedtuple("Transition", ("state", "action", "next_state", "reward"))


class ReplayMemory:
    def __init__(self, capacity):
        self.memory = collections.deque([], maxlen=capacity)

    def push(self, *args):
        self.memory.append(Transition(*args))

    def sample(self, indices):
        return [self.memory[i] for i in indices]

    def __len__(self):
        return len(self.memory)


class DQN(nn.Module):
    def __init__(self, n_observations, n_actions):
        super().__init__()
        self.layer1 = nn.Linear(n_observations, 32)
        self.layer2 = nn.Linear(32, 32)
        self.layer3 = nn.Linear(32, n_actions)

    def forward(self, x):
        x = F.relu(self.layer1(x))
        x = F.relu(self.layer2(x))
        return self.layer3(x)


policy_net = fill(DQN(4, 2))
target_net = DQN(4, 2)
target_net.load_state_dict(policy_net.state_dict())
optimizer = optim.AdamW(policy_net.parameters(), lr=1e-3, amsgrad=True)
memory = ReplayMemory(100)
GAMMA, TAU, BATCH_SIZE = 0.99, 0.005, 8
for step in range(40):
    state = torch.tensor(rng.normal(size=(1, 4)))
    action = torch.tensor([[int(rng.integers(0, 2))]], dtype=torch.long)
    next_state = None if step % 7 == 6 else torch.tensor(rng.normal(size=(1, 4)))
    memory.push(state, action, next_state, torch.tensor([float(rng.normal())]))
    if len(memory) < BATCH_SIZE:
        continue
    transitions = memory.sample(rng.choice(len(memory), BATCH_SIZE, replace=False))
    batch = Transition(*zip(*transitions))
    non_final_mask = torch.tensor(tuple(map(lambda s: s is not None, batch.next_state)), dtype=torch.bool)
    non_final_next_states = torch.cat([s for s in batch.next_state if s is not None])
    state_batch = torch.cat(batch.state)
    action_batch = torch.cat(batch.action)
    reward_batch = torch.cat(batch.reward)
    state_action_values = policy_net(state_batch).gather(1, action_batch)
    next_state_values = torch.zeros(BATCH_SIZE)
    with torch.no_grad():
        next_state_values[non_final_mask] = target_net(non_final_next_states).max(1).values
    expected_state_action_values = (next_state_values * GAMMA) + reward_batch
    criterion = nn.SmoothL1Loss()
    loss = criterion(state_action_values, expected_state_action_values.unsqueeze(1))
    optimizer.zero_grad()
    loss.backward()
    torch.nn.utils.clip_grad_value_(policy_net.parameters(), 100)
    optimizer.step()
    target_net_state_dict = target_net.state_dict()
    policy_net_state_dict = policy_net.state_dict()
    for key in policy_net_state_dict:
        target_net_state_dict[key] = policy_net_state_dict[key] * TAU + target_net_state_dict[key] * (1 - TAU)
    target_net.load_state_dict(target_net_state_dict)
    for target_param, param in zip(target_net.parameters(), policy_net.parameters()):
        target_param.data.copy_(TAU * param.data + (1.0 - TAU) * target_param.data)
    if step % 10 == 9:
        print(f"dqn step {step} loss {loss.item():.6f} target gap "
              f"{sum((t - p).abs().sum().item() for t, p in zip(target_net.parameters(), policy_net.parameters())):.6f}")
print("data is a tensor", type(policy_net.layer1.weight.data).__name__, policy_net.layer1.weight.data.requires_grad,
      policy_net.layer1.weight.data.is_leaf)
