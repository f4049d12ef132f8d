# Temporal models over feature sequences: Adam, 100 epochs, validation every 5.
optim_wrapper = dict(optimizer=dict(type='Adam', lr=1e-3))
train_cfg = dict(type='EpochBasedTrainLoop', max_epochs=100, val_interval=5)
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')
