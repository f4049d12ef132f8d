# SPT teacher on any timm model through mmpretrain's TIMMBackbone, here the
# frozen ConvNeXt-V2-T (FCMAE pre-training, ImageNet-22k then 1k fine-tuning).
# pretrained=True lets timm fetch its weights from the Hugging Face hub (a
# .safetensors file: no code). TIMMBackbone removes timm's classifier and
# pooling: CNNs return their last (B, C, H, W) map, pooled by the head.
_base_ = './spt_resnet50_in1k-sup_4xb32-coslr-200e_cholec80.py'

model = dict(
    backbone=dict(
        _delete_=True,
        type='TIMMBackbone',
        model_name='convnextv2_tiny.fcmae_ft_in22k_in1k',
        pretrained=True),
    neck=dict(in_channels=768))
