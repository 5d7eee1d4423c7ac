"""A script as written for PyTorch (run with argument "torch"), run with ``import tinynn as torch`` (argument
"tinynn") by tests/test_pytorch_scripts.py: the same lines, only the imports chosen by the argument. A small
single-shot detector on a MobileNetV3-style backbone: inverted residual blocks (pointwise expansion, depthwise 3x3
and 5x5 convolutions with strides 1 and 2 and a dilated one, squeeze-and-excitation by Hardsigmoid, Hardswish and
ReLU6), a feature pyramid by nearest upsampling, a head with weight normalisation by parametrization, anchors from
meshgrid matched by IoU, a sigmoid focal loss, smooth L1 and GIoU box losses; trained channels-last by RMSprop with
TensorFlow's settings, no weight decay on norms and biases, a linear warm-up followed by an exponential decay
(SequentialLR), the stem frozen after the first epoch; then batch norm fused into the convolutions for inference,
non-maximum suppression written by hand, and the state saved and loaded."""
import sys

import numpy as np

if sys.argv[1] == "tinynn":
    import tinynn as torch
    import tinynn.nn as nn
    import tinynn.nn.functional as F
    from tinynn.nn.utils import fuse_conv_bn_eval
    from tinynn.nn.utils.parametrizations import weight_norm
    from tinynn.utils.data import DataLoader, TensorDataset
else:
    import torch
    import torch.nn as nn
    import torch.nn.functional as F
    from torch.nn.utils import fuse_conv_bn_eval
    from torch.nn.utils.parametrizations import weight_norm
    from torch.utils.data import DataLoader, TensorDataset

torch.set_default_dtype(torch.float64)
rng = np.random.default_rng(31)
checkpoint_path = sys.argv[2]


def fill(module, scale=0.3):
    """The same weights in both frameworks: a ramp over each parameter."""
    with torch.no_grad():
        for parameter in module.parameters():
            parameter.copy_(torch.linspace(-scale, scale, parameter.numel()).reshape(parameter.shape))
    return module


class SqueezeExcite(nn.Module):
    def __init__(self, channels, reduced):
        super().__init__()
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.reduce = nn.Conv2d(channels, reduced, 1)
        self.expand = nn.Conv2d(reduced, channels, 1)

    def forward(self, x):
        scale = F.hardsigmoid(self.expand(F.relu(self.reduce(self.pool(x)))))
        return x * scale


class InvertedResidual(nn.Module):
    def __init__(self, channels_in, expanded, channels_out, kernel, stride, dilation=1, squeeze=False, activation=nn.ReLU6):
        super().__init__()
        padding = dilation * (kernel - 1) // 2
        layers = [nn.Conv2d(channels_in, expanded, 1, bias=False), nn.BatchNorm2d(expanded), activation(),
                  nn.Conv2d(expanded, expanded, kernel, stride, padding, dilation=dilation, groups=expanded, bias=False),
                  nn.BatchNorm2d(expanded), activation()]
        if squeeze:
            layers.append(SqueezeExcite(expanded, max(8, expanded // 4)))
        layers += [nn.Conv2d(expanded, channels_out, 1, bias=False), nn.BatchNorm2d(channels_out)]
        self.block = nn.Sequential(*layers)
        self.residual = stride == 1 and channels_in == channels_out

    def forward(self, x):
        y = self.block(x)
        return x + y if self.residual else y


class Detector(nn.Module):
    def __init__(self, classes, anchors_per_place):
        super().__init__()
        self.stem = nn.Sequential(nn.Conv2d(3, 8, 3, 2, 1, bias=False), nn.BatchNorm2d(8), nn.Hardswish())
        self.stage1 = nn.Sequential(InvertedResidual(8, 16, 8, 3, 1), InvertedResidual(8, 24, 12, 3, 2))
        self.stage2 = nn.Sequential(InvertedResidual(12, 36, 16, 5, 2, squeeze=True, activation=nn.Hardswish),
                                    InvertedResidual(16, 48, 16, 3, 1, dilation=2, squeeze=True, activation=nn.Hardswish))
        self.lateral1, self.lateral2 = nn.Conv2d(12, 16, 1), nn.Conv2d(16, 16, 1)
        self.classify = weight_norm(nn.Conv2d(16, anchors_per_place * classes, 3, padding=1))
        self.regress = nn.Conv2d(16, anchors_per_place * 4, 3, padding=1)
        self.classes = classes

    def forward(self, images):
        c1 = self.stage1(self.stem(images))
        c2 = self.stage2(c1)
        p2 = self.lateral2(c2)
        p1 = self.lateral1(c1) + F.interpolate(p2, scale_factor=2, mode="nearest")
        logits, deltas = [], []
        for level in (p1, p2):
            n = level.shape[0]
            logits.append(self.classify(level).permute(0, 2, 3, 1).reshape(n, -1, self.classes))
            deltas.append(self.regress(level).permute(0, 2, 3, 1).reshape(n, -1, 4))
        return torch.cat(logits, 1), torch.cat(deltas, 1)


def make_anchors(image_size, strides, sizes):
    """(A, 4) boxes (x1, y1, x2, y2): at each level's cell centres, one square box per size."""
    boxes = []
    for stride in strides:
        cells = image_size // stride
        ys, xs = torch.meshgrid(torch.arange(cells), torch.arange(cells), indexing="ij")
        centres = torch.stack([xs, ys], -1).reshape(-1, 1, 2).to(torch.float64) * stride + stride / 2
        halves = torch.tensor(sizes, dtype=torch.float64).reshape(1, -1, 1) * stride / 2
        boxes.append(torch.cat([centres - halves, centres + halves], -1).reshape(-1, 4))
    return torch.cat(boxes)


def box_iou(a, b):
    area_a = (a[:, 2] - a[:, 0]) * (a[:, 3] - a[:, 1])
    area_b = (b[:, 2] - b[:, 0]) * (b[:, 3] - b[:, 1])
    top_left = torch.max(a[:, None, :2], b[None, :, :2])
    bottom_right = torch.min(a[:, None, 2:], b[None, :, 2:])
    overlap = (bottom_right - top_left).clamp(min=0).prod(-1)
    return overlap / (area_a[:, None] + area_b[None, :] - overlap)


def encode(boxes, anchors):
    widths, heights = anchors[:, 2] - anchors[:, 0], anchors[:, 3] - anchors[:, 1]
    centre_x, centre_y = anchors[:, 0] + widths / 2, anchors[:, 1] + heights / 2
    box_widths, box_heights = boxes[:, 2] - boxes[:, 0], boxes[:, 3] - boxes[:, 1]
    return torch.stack([(boxes[:, 0] + box_widths / 2 - centre_x) / widths, (boxes[:, 1] + box_heights / 2 - centre_y) / heights,
                        torch.log(box_widths / widths), torch.log(box_heights / heights)], 1)


def decode(deltas, anchors):
    widths, heights = anchors[:, 2] - anchors[:, 0], anchors[:, 3] - anchors[:, 1]
    centre_x = anchors[:, 0] + widths / 2 + deltas[..., 0] * widths
    centre_y = anchors[:, 1] + heights / 2 + deltas[..., 1] * heights
    half_w, half_h = torch.exp(deltas[..., 2]) * widths / 2, torch.exp(deltas[..., 3]) * heights / 2
    return torch.stack([centre_x - half_w, centre_y - half_h, centre_x + half_w, centre_y + half_h], -1)


def giou_loss(predicted, target):
    inner_tl, inner_br = torch.max(predicted[:, :2], target[:, :2]), torch.min(predicted[:, 2:], target[:, 2:])
    overlap = (inner_br - inner_tl).clamp(min=0).prod(1)
    area_p = (predicted[:, 2:] - predicted[:, :2]).prod(1)
    area_t = (target[:, 2:] - target[:, :2]).prod(1)
    union = area_p + area_t - overlap
    hull = (torch.max(predicted[:, 2:], target[:, 2:]) - torch.min(predicted[:, :2], target[:, :2])).prod(1)
    return (1 - overlap / union + (hull - union) / hull).mean()


def focal_loss(logits, targets, alpha=0.25, gamma=2.0):
    probabilities = torch.sigmoid(logits)
    cross_entropy = F.binary_cross_entropy_with_logits(logits, targets, reduction="none")
    p_t = probabilities * targets + (1 - probabilities) * (1 - targets)
    alpha_t = alpha * targets + (1 - alpha) * (1 - targets)
    return (alpha_t * cross_entropy * (1 - p_t) ** gamma).sum()


def nms(boxes, scores, threshold):
    order = torch.argsort(scores, descending=True)
    kept = []
    while order.numel() > 0:
        best = order[0]
        kept.append(int(best))
        if order.numel() == 1:
            break
        overlaps = box_iou(boxes[best].unsqueeze(0), boxes[order[1:]])[0]
        order = order[1:][overlaps <= threshold]
    return torch.tensor(kept, dtype=torch.long)


# Synthetic scenes: a bright square (class 0) or a bright cross (class 1) on noise, one object per image.
size, count, classes = 32, 48, 2
images = rng.normal(0, 0.1, (count, 3, size, size))
boxes, labels = np.zeros((count, 4)), rng.integers(0, classes, count)
for k in range(count):
    side = int(rng.integers(8, 15))
    x0, y0 = (int(v) for v in rng.integers(0, size - side, 2))
    if labels[k] == 0:
        images[k, :, y0:y0 + side, x0:x0 + side] += 1.0
    else:
        images[k, :, y0 + side // 2 - 1:y0 + side // 2 + 1, x0:x0 + side] += 1.0
        images[k, :, y0:y0 + side, x0 + side // 2 - 1:x0 + side // 2 + 1] += 1.0
    boxes[k] = (x0, y0, x0 + side, y0 + side)

anchors = make_anchors(size, strides=(4, 8), sizes=(2.5, 3.5))
print("anchors", tuple(anchors.shape), [round(v, 2) for v in anchors[:2].reshape(-1).tolist()])
dataset = TensorDataset(torch.tensor(images), torch.tensor(boxes), torch.tensor(labels))
loader = DataLoader(dataset, batch_size=16, shuffle=False)

model = fill(Detector(classes, anchors_per_place=2))
model.classify.parametrizations.weight.original0.data.fill_(1.0)
model = model.to(memory_format=torch.channels_last)
print("parameters", sum(p.numel() for p in model.parameters()),
      "weight_norm", sorted(name for name, _ in model.classify.named_parameters()))

decay, no_decay = [], []
for name, parameter in model.named_parameters():
    (no_decay if parameter.ndim <= 1 or name.endswith(".bias") else decay).append(parameter)
optimizer = torch.optim.RMSprop([{"params": decay, "weight_decay": 1e-5}, {"params": no_decay, "weight_decay": 0.0}],
                                lr=0.002, alpha=0.9, eps=0.0316, momentum=0.9)
warmup = torch.optim.lr_scheduler.LinearLR(optimizer, start_factor=0.1, total_iters=3)
decay_after = torch.optim.lr_scheduler.ExponentialLR(optimizer, gamma=0.9)
schedule = torch.optim.lr_scheduler.SequentialLR(optimizer, [warmup, decay_after], milestones=[3])


def assign(batch_boxes, batch_labels):
    """Per anchor: its class target (one-hot, zeros for background), its box, and whether it is positive."""
    iou = box_iou(anchors, batch_boxes.reshape(-1, 4))  # (A, B): one object per image
    best_iou = iou.t()  # (B, A)
    positive = best_iou >= 0.35
    best = best_iou.argmax(1)
    positive[torch.arange(len(best)), best] = True  # every object gets its best anchor
    targets = torch.zeros(len(best), anchors.shape[0], classes)
    targets[positive] = F.one_hot(batch_labels, classes).to(torch.float64).repeat_interleave(positive.sum(1), 0)
    return targets, positive


for epoch in range(4):
    if epoch == 1:
        model.stem.requires_grad_(False)
        model.stem.eval()
    model.train()
    if epoch >= 1:
        model.stem.eval()
    totals = [0.0, 0.0, 0.0]
    for batch_images, batch_boxes, batch_labels in loader:
        batch_images = batch_images.contiguous(memory_format=torch.channels_last)
        logits, deltas = model(batch_images)
        targets, positive = assign(batch_boxes, batch_labels)
        matched_boxes = batch_boxes[:, None, :].expand(-1, anchors.shape[0], -1)[positive]
        matched_anchors = anchors[None].expand(len(batch_boxes), -1, -1)[positive]
        classification = focal_loss(logits, targets) / positive.sum().clamp(min=1)
        box_deltas = deltas[positive]
        smooth = F.smooth_l1_loss(box_deltas, encode(matched_boxes, matched_anchors), beta=1 / 9)
        giou = giou_loss(decode(box_deltas, matched_anchors), matched_boxes)
        loss = classification + smooth + giou
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), max_norm=5.0)
        optimizer.step()
        for k, value in enumerate((classification, smooth, giou)):
            totals[k] += value.item()
    schedule.step()
    print(f"epoch {epoch} focal {totals[0]:.6f} smooth_l1 {totals[1]:.6f} giou {totals[2]:.6f}"
          f" lr {schedule.get_last_lr()[0]:.6f} stem_frozen {not model.stem[0].weight.requires_grad}")

print("stem statistics kept", torch.allclose(model.stem[1].running_mean, torch.zeros(8)) is False,
      "momentum buffers", sum(1 for p in model.parameters() if "momentum_buffer" in optimizer.state[p]))

# Inference: batch norm folded into the preceding convolutions, the same outputs.
model.eval()
fused = Detector(classes, anchors_per_place=2)
fused.load_state_dict(model.state_dict())
fused.eval()
for block in [fused.stage1[0], fused.stage1[1], fused.stage2[0], fused.stage2[1]]:
    layers = list(block.block)
    for k, layer in enumerate(layers):
        if isinstance(layer, nn.BatchNorm2d):
            layers[k - 1], layers[k] = fuse_conv_bn_eval(layers[k - 1], layer), nn.Identity()
    block.block = nn.Sequential(*layers)
with torch.inference_mode():
    sample = torch.tensor(images[:8])
    logits, deltas = model(sample)
    fused_logits, fused_deltas = fused(sample)
    print("fused matches", torch.allclose(logits, fused_logits, atol=1e-9), torch.allclose(deltas, fused_deltas, atol=1e-9),
          "fused has no batch norm", not any(isinstance(m, nn.BatchNorm2d) for m in fused.stage2.modules()))
    scores, classes_found = torch.sigmoid(logits).max(-1)
    detections = []
    for k in range(len(sample)):
        candidates = decode(deltas[k], anchors)
        keep = scores[k] > 0.05
        chosen = nms(candidates[keep], scores[k][keep], threshold=0.5)
        top = chosen[:3]
        detections.append(len(top))
        best_box = candidates[keep][top[0]] if len(top) else torch.zeros(4)
        print(f"image {k} kept {int(keep.sum())} after_nms {len(chosen)} best {[round(v, 3) for v in best_box.tolist()]}"
              f" class {int(classes_found[k][keep][top[0]]) if len(top) else -1} iou {float(box_iou(best_box[None], torch.tensor(boxes[k:k + 1]))[0, 0]):.4f}")

torch.save({"model": model.state_dict(), "optimizer": optimizer.state_dict(), "schedule": schedule.state_dict()},
           checkpoint_path)
state = torch.load(checkpoint_path)
restored = Detector(classes, anchors_per_place=2)
restored.load_state_dict(state["model"])
restored.eval()
with torch.no_grad():
    print("restored matches", torch.allclose(restored(sample)[0], logits, atol=1e-9),
          "schedule milestones", state["schedule"]["_milestones"], "last lr", round(state["schedule"]["_last_lr"][0], 8))
