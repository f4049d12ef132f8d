# Online phase recognition on Cholec80 with TeCNO (Czempiel et al., MICCAI 2020):
# MS-TCN with causal convolutions, so it can run during surgery; 2 stages of 8
# layers. Features as in mstcn_1xb1-100e_cholec80-features.py.
_base_ = './mstcn_1xb1-100e_cholec80-features.py'

model = dict(tcn=dict(num_stages=2, num_layers=8, causal=True))

# Adam at 5e-4 (TeCNO), halved every 30 epochs and weight decay 1e-5 as in
# the released code of "distilling self-supervisions".
optim_wrapper = dict(optimizer=dict(lr=5e-4, weight_decay=1e-5))
param_scheduler = dict(
    type='MultiStepLR', by_epoch=True, milestones=[30, 60, 90], gamma=0.5)
