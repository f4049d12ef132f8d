# As spt_efficientnet-lite2_in1k-sup_1xb16-coslr-2e_synthetic.py, with the
# frozen backbone's BatchNorm statistics re-estimated on surgical frames:
# once, before training, on `num_batches` training batches (precise BN: the
# equal-weight mean of the batch statistics; no weight changes), then frozen.
# The default, mode='frozen', keeps the public ImageNet statistics. The
# exported teacher carries the new statistics; a resumed run does not redo it.
_base_ = ['./spt_efficientnet-lite2_in1k-sup_1xb16-coslr-2e_synthetic.py']

model = dict(teacher_bn=dict(mode='recalibrate', num_batches=200))
# The hook that runs it, at before_train (a no-op for other models); a dict
# entry, so it adds to the base's hooks.
default_hooks = dict(teacher_bn=dict(type='TeacherBNRecalibrationHook'))
