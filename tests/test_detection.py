"""Detection building blocks on synthetic data: Faster R-CNN, COCO loading and AP, GRL, IBN-b."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from attnlib import attention, build_model
from attnlib.detection import (
    CocoBoxes,
    GradientReversal,
    StyleAdversarialHead,
    apply_ibn_b,
    coco_average_precision,
    faster_rcnn,
    gradient_reversal,
    write_synthetic_coco,
)

MODULES = (None, *attention.available())


@pytest.fixture(scope="module")
def synthetic_coco(tmp_path_factory):
    root = tmp_path_factory.mktemp("coco")
    annotations = write_synthetic_coco(root, images=4, size=96)
    return CocoBoxes(root / "images", annotations)


def test_synthetic_coco_loads_with_exact_boxes(synthetic_coco):
    image, target = synthetic_coco[0]
    assert image.shape == (3, 96, 96)
    assert target["boxes"].shape[1] == 4 and len(target["boxes"]) == len(target["labels"]) >= 1
    assert (target["boxes"][:, 2:] > target["boxes"][:, :2]).all()
    # The last rectangle drawn lies on top, so its box holds exactly its category's colour.
    from attnlib.detection.coco import COLOURS

    x0, y0, x1, y1 = target["boxes"][-1].long().tolist()
    colour = torch.tensor(COLOURS[int(target["labels"][-1])], dtype=torch.float32) / 255
    inside = image[:, y0:y1, x0:x1].reshape(3, -1)
    torch.testing.assert_close(inside, colour.view(3, 1).expand_as(inside), rtol=0, atol=1e-6)


def test_missing_coco_names_path_and_download_page(tmp_path):
    with pytest.raises(FileNotFoundError, match=r"cocodataset.org"):
        CocoBoxes(tmp_path / "images", tmp_path / "missing.json")


def test_average_precision_on_hand_made_detections(synthetic_coco):
    coco = synthetic_coco.coco
    perfect = [
        {"image_id": a["image_id"], "category_id": a["category_id"], "bbox": a["bbox"], "score": 0.9}
        for a in coco.dataset["annotations"]
    ]
    assert coco_average_precision(coco, perfect) == {"AP": pytest.approx(1.0), "AP50": pytest.approx(1.0)}
    # Boxes shifted so that IoU with their ground truth is 1/3: counted at no COCO threshold (>= 0.5).
    shifted = [
        {**d, "bbox": [d["bbox"][0] + d["bbox"][2] / 2, d["bbox"][1], d["bbox"][2], d["bbox"][3]]} for d in perfect
    ]
    assert coco_average_precision(coco, shifted)["AP50"] == pytest.approx(0.0)
    assert coco_average_precision(coco, []) == {"AP": 0.0, "AP50": 0.0}


@pytest.mark.parametrize("name", MODULES)
def test_faster_rcnn_forward_backward_with_every_module(name, synthetic_coco):
    torch.manual_seed(0)
    model = faster_rcnn(name, num_classes=4, depth=18, trainable_stages=4)
    model.transform.min_size, model.transform.max_size = (96,), 96
    images, targets = zip(*[synthetic_coco[i] for i in range(2)], strict=True)
    model.train()
    losses = model(list(images), [{k: v for k, v in t.items() if k != "image_id"} for t in targets])
    total = sum(losses.values())
    total.backward()
    assert torch.isfinite(total)
    attention_grads = [p.grad for n, p in model.named_parameters() if ".attention." in n]
    if name is not None:
        assert attention_grads and all(g is not None for g in attention_grads)
    model.eval()
    with torch.no_grad():
        detections = model([images[0]])
    assert set(detections[0]) == {"boxes", "labels", "scores"}


def test_resnet50_backbone_has_16_modules():
    model = faster_rcnn("eca", num_classes=4)
    assert sum(1 for n, _ in model.backbone.body.named_children() if n.startswith("layer")) == 4
    assert sum(isinstance(m, attention.EfficientChannelAttention) for m in model.modules()) == 16


def test_gradient_reversal_flips_and_scales():
    x = torch.randn(5, requires_grad=True)
    gradient_reversal(x, 0.3).sum().backward()
    torch.testing.assert_close(x.grad, torch.full((5,), -0.3))
    y = torch.randn(3, requires_grad=True)
    out = GradientReversal(2.0)(y)
    assert torch.equal(out, y)
    (out * torch.tensor([1.0, 2.0, 3.0])).sum().backward()
    torch.testing.assert_close(y.grad, torch.tensor([-2.0, -4.0, -6.0]))


def test_style_adversarial_head_pushes_features_against_the_domain_loss():
    features = torch.randn(4, 8, 5, 5, requires_grad=True)
    head = StyleAdversarialHead(8, {"timeofday": 3, "weather": 4}, hidden=16)
    labels = {"timeofday": torch.tensor([0, 1, 2, 0]), "weather": torch.tensor([0, 1, 2, 3])}
    head.loss(features, labels).backward()
    reversed_grad = features.grad.clone()
    features.grad = None
    head.reverse.scale = -1.0  # no reversal: ordinary gradient
    head.loss(features, labels).backward()
    torch.testing.assert_close(reversed_grad, -features.grad)


@pytest.mark.parametrize("name", [None, "ab", "se"])
def test_ibn_b_forward_backward(name):
    model = apply_ibn_b(build_model("resnet34", attention=name))
    assert isinstance(model.bn1, nn.InstanceNorm2d)
    assert isinstance(model.layer1[-1].instance_norm, nn.InstanceNorm2d)
    assert isinstance(model.layer2[-1].instance_norm, nn.InstanceNorm2d)
    assert not hasattr(model.layer3[-1], "instance_norm")
    out = model(torch.randn(2, 3, 64, 64))
    out.sum().backward()
    assert model.layer1[-1].instance_norm.weight.grad is not None


def test_ibn_b_rejects_other_models():
    import torchvision

    with pytest.raises(ValueError, match="attnlib ResNet"):
        apply_ibn_b(torchvision.models.resnet18())
