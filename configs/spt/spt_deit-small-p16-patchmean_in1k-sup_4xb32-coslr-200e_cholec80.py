# As spt_deit-small-p16_in1k-sup_4xb32-coslr-200e_cholec80.py, but the
# embedding is the mean of the patch tokens: the backbone returns them as a
# (B, 384, 14, 14) map (out_type='featmap', after the final norm) and the
# MoCo v2 head average-pools it.
_base_ = './spt_deit-small-p16_in1k-sup_4xb32-coslr-200e_cholec80.py'

model = dict(
    backbone=dict(out_type='featmap'), neck=dict(with_avg_pool=True))
