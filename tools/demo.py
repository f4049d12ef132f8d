"""The main job on embedded synthetic data: SPT teacher, then DSL student.

    python tools/demo.py [--work-dir work_dirs/demo] [--data-root data/synthetic]

1. generates synthetic surgical videos with Cholec80-format annotations and
   prepares them (1 fps frames, margin cut, resize) like real data;
2. trains the SPT teacher: frozen ImageNet EfficientNet-Lite0, MoCo v2 head;
3. exports the teacher checkpoint;
4. trains a random-init ResNet-18 with distilled MoCo v2 from that teacher;
5. writes the student's backbone for downstream fine-tuning.

Every step runs the project's own tools; finished steps are skipped when the
demo is run again (training resumes from its last checkpoint).
"""
import argparse
import os.path as osp
import subprocess
import sys
import time

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
SPT_CONFIG = 'configs/spt/spt_efficientnet-lite0_in1k-sup_1xb16-coslr-2e_synthetic.py'
DSL_CONFIG = 'configs/dsl/dsl-mocov2_resnet18_1xb16-coslr-2e_synthetic.py'


def run(*args: str) -> None:
    print('+', ' '.join(args), flush=True)
    subprocess.run([sys.executable, *args], cwd=ROOT, check=True)


def last_checkpoint(work_dir: str) -> str:
    """The checkpoint mmengine recorded last in ``work_dir``."""
    with open(osp.join(work_dir, 'last_checkpoint')) as f:
        return f.read().strip()


def train(config: str, work_dir: str, *cfg_options: str) -> str:
    args = ['tools/train.py', config, '--work-dir', work_dir]
    if osp.exists(osp.join(work_dir, 'last_checkpoint')):
        args.append('--resume')
    if cfg_options:
        args += ['--cfg-options', *cfg_options]
    run(*args)
    return last_checkpoint(work_dir)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('--work-dir', default='work_dirs/demo')
    parser.add_argument('--data-root', default='data/synthetic')
    parser.add_argument('--raw-dir', default='data/synthetic_raw')
    args = parser.parse_args()
    start = time.time()
    work_dir = osp.abspath(osp.join(ROOT, args.work_dir))
    data_root = osp.abspath(osp.join(ROOT, args.data_root))

    if not osp.exists(osp.join(data_root, 'meta.json')):
        run('tools/data/generate_synthetic.py', args.raw_dir)
        run('tools/data/prepare_phase_dataset.py', '--dataset', 'cholec80',
            '--size', '128', '--workers', '2', args.raw_dir, args.data_root)
    data_option = f'train_dataloader.dataset.data_root={data_root}'

    spt_dir = osp.join(work_dir, 'spt')
    spt_ckpt = train(SPT_CONFIG, spt_dir, data_option)
    teacher = osp.join(spt_dir, 'teacher.pth')
    run('tools/model_converters/export_teacher.py', spt_ckpt, teacher)

    dsl_dir = osp.join(work_dir, 'dsl')
    dsl_ckpt = train(DSL_CONFIG, dsl_dir, data_option,
                     f'model.teacher.checkpoint={teacher}')
    backbone = osp.join(dsl_dir, 'backbone.pth')
    run('tools/model_converters/extract_backbone.py', dsl_ckpt, backbone)

    print(f'\nDemo finished in {time.time() - start:.0f} s.\n'
          f'  data (1 fps frames):   {data_root}\n'
          f'  SPT teacher run:       {spt_dir}  (log: */vis_data, *.log)\n'
          f'  SPT checkpoint:        {spt_ckpt}\n'
          f'  teacher export:        {teacher}\n'
          f'  DSL student run:       {dsl_dir}\n'
          f'  DSL checkpoint:        {dsl_ckpt}\n'
          f'  student backbone:      {backbone}')


if __name__ == '__main__':
    main()
