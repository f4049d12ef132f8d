# MS-TCN (Farha & Gall, CVPR 2019): offline (non-causal), 4 stages of 10
# dilated residual layers with 64 feature maps, on 2048-d ResNet-50 features.
model = dict(
    type='TemporalPhaseModel',
    tcn=dict(
        type='MultiStageTCN',
        in_channels=2048,
        num_classes=7,
        num_stages=4,
        num_layers=10,
        num_f_maps=64,
        causal=False,
        dropout=0.5),
    loss_cls=dict(type='CrossEntropyLoss', loss_weight=1.0),
    # Squared log-probability changes clamped at tau**2 = 16, weight 0.15
    # (MS-TCN). The released code of "distilling self-supervisions" uses the
    # same clamp with loss_weight=1.0.
    loss_smooth=dict(type='TruncatedMSELoss', tau=4.0, loss_weight=0.15))
