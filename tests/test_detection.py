"""Detection building blocks on synthetic data: both detectors, COCO and BDD100k loading, AP, GRL, IBN-b."""

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
from attnlib.detection.bdd import CATEGORIES as BDD_CATEGORIES
from attnlib.detection.bdd import TIMES_OF_DAY, WEATHERS, BddBoxes, write_synthetic_bdd
from attnlib.detection.data import coco_splits, detection_transforms, load_detection_dataset
from attnlib.detection.ssd import ssd512

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


# --- SSD512 (ScratchDet Root-ResNet-34) ---------------------------------------------------------


def _count_modules(model: nn.Module) -> int:
    return sum(isinstance(m, tuple(attention.resolve(n) for n in attention.available())) for m in model.modules())


@pytest.mark.parametrize("name", MODULES)
def test_ssd_forward_backward_with_every_module(name):
    torch.manual_seed(0)
    model = ssd512(name, num_classes=4, image_size=64)
    assert _count_modules(model) == (0 if name is None else 16)
    images = [torch.rand(3, 64, 64), torch.rand(3, 80, 60)]
    targets = [
        {"boxes": torch.tensor([[4.0, 6.0, 30.0, 40.0]]), "labels": torch.tensor([1])},
        {"boxes": torch.tensor([[10.0, 10.0, 50.0, 33.0], [0.0, 0.0, 8.0, 9.0]]), "labels": torch.tensor([2, 3])},
    ]
    model.train()
    losses = model(images, targets)
    total = sum(losses.values())
    total.backward()
    assert set(losses) == {"bbox_regression", "classification"} and torch.isfinite(total)
    if name is not None:
        assert all(p.grad is not None for n, p in model.named_parameters() if ".attention." in n)
    model.eval()
    with torch.no_grad():
        detections = model(images)
    assert len(detections) == 2 and set(detections[0]) == {"boxes", "labels", "scores"}


def test_ssd512_sources_match_ssd512_feature_maps():
    """At 512², the seven sources are SSD512's 64…1 maps with ScratchDet's root stem (stride 1, no pool)."""
    model = ssd512("eca", image_size=512).to("meta").eval()
    features = model.backbone(torch.empty(1, 3, 512, 512, device="meta"))
    assert [tuple(f.shape[1:]) for f in features.values()] == [
        (512, 64, 64),
        (512, 32, 32),
        (256, 16, 16),
        (256, 8, 8),
        (256, 4, 4),
        (256, 2, 2),
        (256, 1, 1),
    ]
    assert model.anchor_generator.num_anchors_per_location() == [4, 6, 6, 6, 6, 4, 4]
    stem = model.backbone.body.conv1
    assert [m.stride for m in stem if isinstance(m, nn.Conv2d)] == [(1, 1)] * 3
    assert isinstance(model.backbone.body.maxpool, nn.Identity)
    # BatchNorm after every backbone/extra convolution (ScratchDet): as many BatchNorms as convolutions.
    convs = [m for m in model.backbone.modules() if isinstance(m, nn.Conv2d)]
    norms = [m for m in model.backbone.modules() if isinstance(m, nn.BatchNorm2d)]
    assert len(convs) == len(norms)


@pytest.mark.parametrize("name", [None, "ab", "se"])
def test_ssd_with_ibn_b_trains(name):
    model = ssd512(name, num_classes=3, image_size=64, ibn=True)
    assert isinstance(model.backbone.body.bn1, nn.InstanceNorm2d)
    model.train()
    target = {"boxes": torch.tensor([[4.0, 6.0, 30.0, 40.0]]), "labels": torch.tensor([1])}
    losses = model([torch.rand(3, 64, 64), torch.rand(3, 64, 64)], [target, target])
    sum(losses.values()).backward()
    assert model.backbone.body.layer2[-1].instance_norm.weight.grad is not None


def test_faster_rcnn_with_ibn_b_trains(synthetic_coco):
    model = faster_rcnn("se", num_classes=4, depth=18, ibn=True, detector_options={"min_size": 96, "max_size": 96})
    image, target = synthetic_coco[0]
    model.train()
    losses = model([image], [{k: v for k, v in target.items() if k != "image_id"}])
    sum(losses.values()).backward()
    assert isinstance(model.backbone.body.layer1[-1].instance_norm, nn.InstanceNorm2d)


# --- BDD100k ----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def synthetic_bdd(tmp_path_factory):
    return write_synthetic_bdd(tmp_path_factory.mktemp("bdd"), train=12, val=9, size=64, seed=3)


def test_bdd_loader_reads_boxes_and_domain_labels(synthetic_bdd):
    import json

    frames = json.loads((synthetic_bdd / "labels" / "bdd100k_labels_images_train.json").read_text())
    dataset = BddBoxes(synthetic_bdd, "train")
    assert len(dataset) == len(frames)
    image, target = dataset[0]
    boxed = [label for label in frames[0]["labels"] if "box2d" in label]  # "drivable area" has none
    assert len(target["boxes"]) == len(boxed) and image.shape == (3, 64, 64)
    first = boxed[0]["box2d"]
    assert target["boxes"][0].tolist() == [first["x1"], first["y1"], first["x2"], first["y2"]]
    assert BDD_CATEGORIES[int(target["labels"][0]) - 1] == boxed[0]["category"]
    assert TIMES_OF_DAY[target["timeofday"]] == frames[0]["attributes"]["timeofday"]
    assert WEATHERS[target["weather"]] == frames[0]["attributes"]["weather"]
    assert dataset.coco.getAnnIds(imgIds=[1]) and len(dataset.coco.dataset["annotations"]) == sum(
        len([label for label in f["labels"] if "box2d" in label]) for f in frames
    )


def test_bdd_day_night_split_trains_on_day_and_dusk_and_evaluates_on_night(synthetic_bdd):
    import json

    train = BddBoxes(synthetic_bdd, "train", "day_night", train=True)
    val = BddBoxes(synthetic_bdd, "val", "day_night")
    assert {TIMES_OF_DAY[train[i][1]["timeofday"]] for i in range(len(train))} <= {"daytime", "dawn/dusk"}
    assert {TIMES_OF_DAY[val[i][1]["timeofday"]] for i in range(len(val))} == {"night"}
    frames = json.loads((synthetic_bdd / "labels" / "bdd100k_labels_images_val.json").read_text())
    assert len(val) == sum(f["attributes"]["timeofday"] == "night" for f in frames)
    with pytest.raises(ValueError, match="all, day_night"):
        BddBoxes(synthetic_bdd, "val", "night_only")


def test_bdd_2020_labels_map_onto_the_ten_classes(tmp_path):
    import json

    from PIL import Image

    (tmp_path / "images" / "100k" / "val").mkdir(parents=True)
    Image.new("RGB", (32, 32)).save(tmp_path / "images" / "100k" / "val" / "a.jpg")
    (tmp_path / "labels" / "det_20").mkdir(parents=True)
    frame = {
        "name": "a.jpg",
        "attributes": {"timeofday": "undefined", "weather": "foggy"},
        "labels": [
            {"category": "pedestrian", "box2d": {"x1": 1, "y1": 2, "x2": 10, "y2": 12}},
            {"category": "motorcycle", "box2d": {"x1": 3, "y1": 2, "x2": 9, "y2": 12}},
            {"category": "other vehicle", "box2d": {"x1": 3, "y1": 2, "x2": 9, "y2": 12}},
        ],
    }
    (tmp_path / "labels" / "det_20" / "det_val.json").write_text(json.dumps([frame]))
    _, target = BddBoxes(tmp_path, "val")[0]
    assert [BDD_CATEGORIES[i - 1] for i in target["labels"].tolist()] == ["person", "motor"]
    assert target["timeofday"] == -100 and WEATHERS[target["weather"]] == "foggy"


def test_missing_bdd_names_path_and_download_page(tmp_path, synthetic_bdd):
    with pytest.raises(FileNotFoundError, match=r"images/100k/train.*bdd-data.berkeley.edu"):
        BddBoxes(tmp_path, "train")
    (tmp_path / "images" / "100k" / "train").mkdir(parents=True)
    with pytest.raises(FileNotFoundError, match=r"bdd100k_labels_images_train.json.*det_train.json"):
        BddBoxes(tmp_path, "train")


def test_missing_real_coco_root_names_the_file(tmp_path):
    with pytest.raises(FileNotFoundError, match=r"train2017.*cocodataset.org"):
        load_detection_dataset("coco", tmp_path)
    with pytest.raises(ValueError, match="coco, bdd100k, synthetic-coco, synthetic-bdd100k"):
        load_detection_dataset("voc", tmp_path)


def test_coco_2014_minival_layout_adds_the_other_val_images_to_training(tmp_path):
    notes = "annotations/instances_{}2014.json"
    write_synthetic_coco(tmp_path, 5, 64, 0, image_folder="train2014", annotation_file=notes.format("train"))
    write_synthetic_coco(tmp_path, 4, 64, 1, image_folder="val2014", annotation_file=notes.format("minival"))
    write_synthetic_coco(tmp_path, 3, 64, 2, image_folder="val2014", annotation_file=notes.format("valminusminival"))
    train, val = coco_splits(tmp_path, "2014-minival")
    assert len(train) == 5 + 3 and len(val) == 4
    with pytest.raises(FileNotFoundError, match="train2017"):
        coco_splits(tmp_path, "2017")


def test_ssd_augmentation_keeps_boxes_inside_the_image(synthetic_coco):
    from attnlib.detection.coco import apply_transforms

    torch.manual_seed(0)
    transform = detection_transforms("ssd")
    raw = synthetic_coco.dataset._load_image(synthetic_coco.ids[0])
    _, target = synthetic_coco[0]
    for _ in range(10):
        image, out = apply_transforms(transform, raw, dict(target))
        height, width = image.shape[1:]
        assert image.dtype == torch.float32 and len(out["boxes"]) == len(out["labels"])
        if len(out["boxes"]):
            assert (out["boxes"][:, 2:] <= torch.tensor([width, height])).all() and (out["boxes"] >= 0).all()
    with pytest.raises(ValueError, match="none, flip, ssd"):
        detection_transforms("mosaic")
