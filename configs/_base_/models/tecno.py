# TeCNO (Czempiel et al., MICCAI 2020): MS-TCN with causal convolutions, so it
# can run online during surgery; 2 stages of 8 layers with 64 feature maps.
model = dict(
    type='TemporalPhaseModel',
    tcn=dict(
        type='MultiStageTCN',
        in_channels=2048,
        num_classes=7,
        num_stages=2,
        num_layers=8,
        num_f_maps=64,
        causal=True,
        dropout=0.5),
    loss_cls=dict(type='CrossEntropyLoss', loss_weight=1.0),
    loss_smooth=dict(type='TruncatedMSELoss', tau=4.0, loss_weight=0.15))
