<?xml version="1.0" encoding="utf-8"?>
<!DOCTYPE TS>
<TS version="2.1" language="zh_CN">
<context>
    <name>Banner</name>
    <message>
        <source>Details</source>
        <translation>详细信息</translation>
    </message>
</context>
<context>
    <name>ChoiceCombo</name>
    <message>
        <source>{choice}  (not here)</source>
        <translation>{choice}  （本机不可用）</translation>
    </message>
</context>
<context>
    <name>ClusterPanel</name>
    <message>
        <source>Class</source>
        <translation>类别</translation>
    </message>
    <message>
        <source>Compute cap.</source>
        <translation>计算能力</translation>
    </message>
    <message>
        <source>Driver</source>
        <translation>驱动</translation>
    </message>
    <message>
        <source>Nodes</source>
        <translation>节点</translation>
    </message>
    <message>
        <source>Partitions</source>
        <translation>分区</translation>
    </message>
    <message>
        <source>Known from</source>
        <translation>信息来源</translation>
    </message>
    <message>
        <source>Verdict</source>
        <translation>结论</translation>
    </message>
    <message>
        <source>Node</source>
        <translation>节点</translation>
    </message>
    <message>
        <source>Job</source>
        <translation>作业</translation>
    </message>
    <message>
        <source>Cause</source>
        <translation>原因</translation>
    </message>
    <message>
        <source>optional: YAML naming local GRES types, e.g. gpu_types: {labgpu: RTX A6000}</source>
        <translation>可选：为本地 GRES 类型命名的 YAML，例如 gpu_types: {labgpu: RTX A6000}</translation>
    </message>
    <message>
        <source>&amp;Browse…</source>
        <translation>浏览(&amp;B)…</translation>
    </message>
    <message>
        <source>&amp;Read cluster and plan</source>
        <translation>读取集群并规划(&amp;R)</translation>
    </message>
    <message>
        <source>SHARED/envs/NAME: an environment every node sees at this path</source>
        <translation>SHARED/envs/NAME：所有节点都能在此路径看到的环境</translation>
    </message>
    <message>
        <source>&amp;Verify on every class</source>
        <translation>在每个类别上验证(&amp;V)</translation>
    </message>
    <message>
        <source>Cancel</source>
        <translation>取消</translation>
    </message>
    <message>
        <source>Press Read to list the cluster&apos;s GPU node classes.</source>
        <translation>点击“读取”列出集群的 GPU 节点类别。</translation>
    </message>
    <message>
        <source>Site &amp;mapping file:</source>
        <translation>站点映射文件(&amp;M)：</translation>
    </message>
    <message>
        <source>E&amp;nvironment:</source>
        <translation>环境(&amp;N)：</translation>
    </message>
    <message>
        <source>Cluster (Slurm)</source>
        <translation>集群（Slurm）</translation>
    </message>
    <message>
        <source>Node classes</source>
        <translation>节点类别</translation>
    </message>
    <message>
        <source>Verdict per class</source>
        <translation>各类别的验证结论</translation>
    </message>
    <message>
        <source>Reading the cluster…</source>
        <translation>正在读取集群…</translation>
    </message>
    <message>
        <source>Name the environment to verify (a folder on the shared filesystem).</source>
        <translation>请指定要验证的环境（共享文件系统上的一个文件夹）。</translation>
    </message>
    <message numerus="yes">
        <source>Verifying {prefix} on %n class(es)…</source>
        <translation>
            <numerusform>正在 %n 个类别上验证 {prefix}…</numerusform>
        </translation>
    </message>
    <message>
        <source>unknown</source>
        <translation>未知</translation>
    </message>
    <message>
        <source>No GPU node classes: no node has gpu GRES.</source>
        <translation>没有 GPU 节点类别：没有节点配置 gpu GRES。</translation>
    </message>
    <message>
        <source>One plan for every class:</source>
        <translation>适用于所有节点类别的方案：</translation>
    </message>
    <message>
        <source>class {name}: {plan}</source>
        <translation>类别 {name}：{plan}</translation>
    </message>
    <message>
        <source>no build in the data runs on it</source>
        <translation>数据中没有能在其上运行的构建</translation>
    </message>
    <message>
        <source>no single class</source>
        <translation>没有单个类别</translation>
    </message>
    <message>
        <source>No one build runs on every class.</source>
        <translation>没有一个构建能在所有节点类别上运行。</translation>
    </message>
    <message>
        <source>Per-class plans</source>
        <translation>各类别的方案</translation>
    </message>
    <message>
        <source>Blocking: {classes}</source>
        <translation>阻碍：{classes}</translation>
    </message>
    <message numerus="yes">
        <source>%n GPU node class(es).</source>
        <translation>
            <numerusform>共 %n 个 GPU 节点类别。</numerusform>
        </translation>
    </message>
    <message>
        <source>{passed} of {total} classes pass</source>
        <translation>{total} 个类别中 {passed} 个通过</translation>
    </message>
    <message>
        <source>: the environment is not proven on every class.</source>
        <translation>：该环境尚未在每个类别上得到验证。</translation>
    </message>
    <message>
        <source>Cancelling: cancelling the jobs and waiting until Slurm shows none left…</source>
        <translation>正在取消：取消作业，并等待 Slurm 中不再有剩余作业…</translation>
    </message>
    <message>
        <source>Site mapping file</source>
        <translation>站点映射文件</translation>
    </message>
    <message>
        <source>YAML or JSON (*.yml *.yaml *.json)</source>
        <translation>YAML 或 JSON 文件 (*.yml *.yaml *.json)</translation>
    </message>
    <message>
        <source>Cancelled; the jobs were cancelled.</source>
        <translation>已取消；作业均已取消。</translation>
    </message>
</context>
<context>
    <name>CollapsibleLog</name>
    <message>
        <source>▾ Hide log</source>
        <translation>▾ 隐藏日志</translation>
    </message>
    <message>
        <source>▸ Show log</source>
        <translation>▸ 显示日志</translation>
    </message>
</context>
<context>
    <name>CompatibilityPanel</name>
    <message>
        <source>Filter rows: a CUDA version, an architecture, a GPU, a release…</source>
        <translation>筛选行：CUDA 版本、架构、GPU 或版本号…</translation>
    </message>
    <message>
        <source>Only rows for this &amp;machine</source>
        <translation>只看与本机相关的行(&amp;M)</translation>
    </message>
    <message>
        <source>Driver</source>
        <translation>驱动</translation>
    </message>
    <message>
        <source>Driver floors</source>
        <translation>驱动下限</translation>
    </message>
    <message>
        <source>GPUs</source>
        <translation>GPU 型号</translation>
    </message>
    <message>
        <source>Rows that concern this machine are highlighted.</source>
        <translation>与本机相关的行已高亮显示。</translation>
    </message>
    <message>
        <source>Fi&amp;lter:</source>
        <translation>筛选(&amp;L)：</translation>
    </message>
    <message>
        <source>Compatibility tables</source>
        <translation>兼容性表</translation>
    </message>
    <message>
        <source>applies to this machine</source>
        <translation>适用于本机</translation>
    </message>
    <message>
        <source>No GPU detected: nothing to highlight.</source>
        <translation>未检测到 GPU：没有需要高亮的行。</translation>
    </message>
    <message>
        <source>No source is recorded for this.</source>
        <translation>此项没有记录来源。</translation>
    </message>
    <message>
        <source>Source:</source>
        <translation>来源：</translation>
    </message>
    <message>
        <source>Nothing matches “{text}” in any table. Try a CUDA version (12.4), a compute capability (8.6, sm_86 or 86), a GPU (4090) or a PyTorch release (2.5).</source>
        <translation>所有表中都没有与“{text}”匹配的内容。可以试试 CUDA 版本（12.4）、计算能力（8.6、sm_86 或 86）、GPU（4090）或 PyTorch 版本（2.5）。</translation>
    </message>
    <message>
        <source>“Only rows for this machine” is on: untick it to search every row.</source>
        <translation>已勾选“只看与本机相关的行”：取消勾选即可搜索所有行。</translation>
    </message>
    <message>
        <source>Compute capability {cc} ({sm}): the rows that concern it, and any text match.</source>
        <translation>计算能力 {cc}（{sm}）：显示与之相关的行以及文字匹配的行。</translation>
    </message>
    <message>
        <source>Nothing in this table matches; other tables do: {tables}.</source>
        <translation>此表中没有匹配项；其他表中有：{tables}。</translation>
    </message>
</context>
<context>
    <name>CreatePanel</name>
    <message>
        <source>Check the plan and the disk</source>
        <translation>检查方案和磁盘空间</translation>
    </message>
    <message>
        <source>Solve the conda packages</source>
        <translation>求解 conda 依赖</translation>
    </message>
    <message>
        <source>Download</source>
        <translation>下载</translation>
    </message>
    <message>
        <source>Link into the environment</source>
        <translation>链接到环境中</translation>
    </message>
    <message>
        <source>Install PyTorch with pip</source>
        <translation>用 pip 安装 PyTorch</translation>
    </message>
    <message>
        <source>Verify: run a CUDA smoke test with the new Python</source>
        <translation>验证：用新环境的 Python 运行 CUDA 冒烟测试</translation>
    </message>
    <message>
        <source>Verify: import torch and compute on the CPU with the new Python</source>
        <translation>验证：用新环境的 Python 导入 torch 并在 CPU 上计算</translation>
    </message>
    <message>
        <source>waiting for a plan that fits this machine</source>
        <translation>正在等待适合本机的方案</translation>
    </message>
    <message>
        <source>environment name, e.g. torch-2.15.0-cu132</source>
        <translation>环境名称，例如 torch-2.15.0-cu132</translation>
    </message>
    <message>
        <source>Browse…</source>
        <translation>浏览…</translation>
    </message>
    <message>
        <source>Environment &amp;name:</source>
        <translation>环境名称(&amp;N)：</translation>
    </message>
    <message>
        <source>&amp;Location:</source>
        <translation>位置(&amp;L)：</translation>
    </message>
    <message>
        <source>En&amp;gine:</source>
        <translation>引擎(&amp;G)：</translation>
    </message>
    <message>
        <source>Register a &amp;Jupyter kernel for it (installs ipykernel)</source>
        <translation>为它注册 &amp;Jupyter 内核（安装 ipykernel）</translation>
    </message>
    <message>
        <source>Add the matching CUDA tool&amp;kit (nvcc; sets CUDA_HOME, TORCH_CUDA_ARCH_LIST)</source>
        <translation>添加匹配的 CUDA 工具包(&amp;K)（nvcc；设置 CUDA_HOME、TORCH_CUDA_ARCH_LIST）</translation>
    </message>
    <message>
        <source>Extras:</source>
        <translation>附加：</translation>
    </message>
    <message>
        <source>Cre&amp;ate environment</source>
        <translation>创建环境(&amp;A)</translation>
    </message>
    <message>
        <source>Cancel</source>
        <translation>取消</translation>
    </message>
    <message>
        <source>Copy</source>
        <translation>复制</translation>
    </message>
    <message>
        <source>Open log</source>
        <translation>打开日志</translation>
    </message>
    <message>
        <source>Activate:</source>
        <translation>激活：</translation>
    </message>
    <message>
        <source>Create the environment</source>
        <translation>创建环境</translation>
    </message>
    <message>
        <source>type a name for the new environment</source>
        <translation>请为新环境输入名称</translation>
    </message>
    <message>
        <source>the location must be a full path, such as {example}</source>
        <translation>位置必须是完整路径，例如 {example}</translation>
    </message>
    <message>
        <source>{path} is a file, not a folder: pick a folder</source>
        <translation>{path} 是文件而不是文件夹：请选择一个文件夹</translation>
    </message>
    <message>
        <source>{path} already exists: pick another name, or remove it in Environments</source>
        <translation>{path} 已存在：请换一个名称，或在“环境”页中删除它</translation>
    </message>
    <message>
        <source>will be created at {path}</source>
        <translation>将创建于 {path}</translation>
    </message>
    <message>
        <source>Where to create environments</source>
        <translation>选择创建环境的位置</translation>
    </message>
    <message>
        <source>The environment cannot be created as set up</source>
        <translation>按当前设置无法创建环境</translation>
    </message>
    <message>
        <source>Creating {label} with the {engine} engine</source>
        <translation>正在用 {engine} 引擎创建 {label}</translation>
    </message>
    <message>
        <source>Cancelling: stopping the running step and removing what was created…</source>
        <translation>正在取消：停止当前步骤并删除已创建的内容…</translation>
    </message>
    <message>
        <source>failed during {stage}</source>
        <translation>在 {stage} 阶段失败</translation>
    </message>
    <message>
        <source>the job</source>
        <translation>任务</translation>
    </message>
    <message>
        <source>Log file: {path}</source>
        <translation>日志文件：{path}</translation>
    </message>
    <message>
        <source>Log file: (none written)</source>
        <translation>日志文件：（未写入）</translation>
    </message>
    <message>
        <source>during {stage}</source>
        <translation>（{stage} 阶段）</translation>
    </message>
    <message>
        <source>Creating the environment failed{where}</source>
        <translation>创建环境失败{where}</translation>
    </message>
    <message>
        <source>Nothing half-made was left behind if the job created it.</source>
        <translation>任务创建的半成品均已清除。</translation>
    </message>
    <message>
        <source>failed{where}</source>
        <translation>失败{where}</translation>
    </message>
    <message>
        <source>Cancelled</source>
        <translation>已取消</translation>
    </message>
    <message>
        <source>The job was stopped and what it had created was removed.</source>
        <translation>任务已停止，它创建的内容已删除。</translation>
    </message>
    <message>
        <source>What to do: {fix}</source>
        <translation>怎么办：{fix}</translation>
    </message>
    <message>
        <source>Created {path}, but verification failed</source>
        <translation>已创建 {path}，但验证失败</translation>
    </message>
    <message>
        <source>The environment was not created (failed during {stage})</source>
        <translation>环境未创建（在 {stage} 阶段失败）</translation>
    </message>
    <message>
        <source>The environment was not created</source>
        <translation>环境未创建</translation>
    </message>
    <message>
        <source>Nothing was left behind.</source>
        <translation>没有留下任何残留。</translation>
    </message>
    <message>
        <source>What to do: open Details for the engine&apos;s output.</source>
        <translation>怎么办：打开“详细信息”查看引擎的输出。</translation>
    </message>
    <message>
        <source>Created {path}</source>
        <translation>已创建 {path}</translation>
    </message>
    <message>
        <source>It was not verified.</source>
        <translation>尚未验证。</translation>
    </message>
    <message>
        <source>Created and verified {path}</source>
        <translation>已创建并验证 {path}</translation>
    </message>
    <message>
        <source>Created {path}; verification: {verdict}</source>
        <translation>已创建 {path}；验证结果：{verdict}</translation>
    </message>
</context>
<context>
    <name>DiskDialog</name>
    <message>
        <source>Environment</source>
        <translation>环境</translation>
    </message>
    <message>
        <source>Own</source>
        <translation>独占</translation>
    </message>
    <message>
        <source>Shared</source>
        <translation>共享</translation>
    </message>
    <message>
        <source>Location</source>
        <translation>位置</translation>
    </message>
    <message>
        <source>Disk use and caches</source>
        <translation>磁盘占用与缓存</translation>
    </message>
    <message>
        <source>Measuring…</source>
        <translation>正在测量…</translation>
    </message>
    <message>
        <source>&amp;Clean caches</source>
        <translation>清理缓存(&amp;C)</translation>
    </message>
    <message>
        <source>remove cached packages that no environment links to (all of them when none does)</source>
        <translation>删除没有任何环境链接的缓存包（若没有环境链接，则全部删除）</translation>
    </message>
    <message>
        <source>Close</source>
        <translation>关闭</translation>
    </message>
    <message>
        <source>Own: what only that environment holds (removing it frees this). Shared: files hardlinked with the caches or other environments, on disk once.</source>
        <translation>独占：只属于该环境的部分（删除环境即可释放）。共享：与缓存或其他环境硬链接的文件，在磁盘上只占一份。</translation>
    </message>
    <message>
        <source>could not measure</source>
        <translation>无法测量</translation>
    </message>
    <message>
        <source>All environments: {envs} on disk; with TorchDesk&apos;s caches: {all} (hardlinked files counted once).</source>
        <translation>所有环境：磁盘占用 {envs}；加上 TorchDesk 的缓存：{all}（硬链接文件只计一次）。</translation>
    </message>
    <message>
        <source>Conda packages cache</source>
        <translation>Conda 包缓存</translation>
    </message>
    <message>
        <source>Wheels cache</source>
        <translation>wheel 缓存</translation>
    </message>
    <message>
        <source>{cache} ({path}): {total}, of which {in_use} linked into environments; Clean would free {freeable}.</source>
        <translation>{cache}（{path}）：{total}，其中 {in_use} 链接到环境中；清理可释放 {freeable}。</translation>
    </message>
    <message>
        <source>Cleaning the caches…</source>
        <translation>正在清理缓存…</translation>
    </message>
    <message>
        <source>Removed {removed} cache entries, {freed}; kept {kept} that environments link to.</source>
        <translation>已删除 {removed} 个缓存条目，释放 {freed}；保留了 {kept} 个被环境链接的条目。</translation>
    </message>
    <message>
        <source>Could not remove: {errors}</source>
        <translation>无法删除：{errors}</translation>
    </message>
    <message>
        <source>Could not measure or clean: {error}</source>
        <translation>无法测量或清理：{error}</translation>
    </message>
</context>
<context>
    <name>EnvironmentsPanel</name>
    <message>
        <source>Name</source>
        <translation>名称</translation>
    </message>
    <message>
        <source>Build</source>
        <translation>构建</translation>
    </message>
    <message>
        <source>Installed by</source>
        <translation>安装者</translation>
    </message>
    <message>
        <source>Location</source>
        <translation>位置</translation>
    </message>
    <message>
        <source>Jupyter kernel</source>
        <translation>Jupyter 内核</translation>
    </message>
    <message>
        <source>Size</source>
        <translation>大小</translation>
    </message>
    <message>
        <source>Shared</source>
        <translation>共享</translation>
    </message>
    <message>
        <source>what only this environment holds, hard links counted once: removing it frees this</source>
        <translation>只属于此环境的文件（硬链接只计一次）：删除此环境即可释放这些空间</translation>
    </message>
    <message>
        <source>files hard-linked with the package caches or other environments: on disk once, and not freed by removing this environment</source>
        <translation>与软件包缓存或其他环境硬链接共享的文件：在磁盘上只占一份，删除此环境不会释放</translation>
    </message>
    <message>
        <source>&amp;Refresh</source>
        <translation>刷新(&amp;R)</translation>
    </message>
    <message>
        <source>&amp;Verify</source>
        <translation>验证(&amp;V)</translation>
    </message>
    <message>
        <source>E&amp;xport environment.yml…</source>
        <translation>导出 environment.yml(&amp;X)…</translation>
    </message>
    <message>
        <source>Re&amp;move…</source>
        <translation>删除(&amp;M)…</translation>
    </message>
    <message>
        <source>Rep&amp;air</source>
        <translation>修复(&amp;A)</translation>
    </message>
    <message>
        <source>Export &amp;lock…</source>
        <translation>导出锁定文件(&amp;L)…</translation>
    </message>
    <message>
        <source>Cancel</source>
        <translation>取消</translation>
    </message>
    <message>
        <source>&amp;Disk use…</source>
        <translation>磁盘占用(&amp;D)…</translation>
    </message>
    <message>
        <source>each environment&apos;s own and shared disk, and the package caches</source>
        <translation>每个环境独占和共享的磁盘空间，以及包缓存</translation>
    </message>
    <message>
        <source>write an environment.yml that rebuilds the selected environment</source>
        <translation>写出可重建所选环境的 environment.yml</translation>
    </message>
    <message>
        <source>Environments are listed once detection finishes.</source>
        <translation>检测完成后将列出环境。</translation>
    </message>
    <message>
        <source>Your conda environments (TorchDesk&apos;s and any other conda&apos;s) will be listed here, with their Python and PyTorch.</source>
        <translation>这里将列出你的 conda 环境（TorchDesk 创建的和其他 conda 的），以及它们的 Python 和 PyTorch 版本。</translation>
    </message>
    <message>
        <source>Environments</source>
        <translation>环境</translation>
    </message>
    <message numerus="yes">
        <source>%n environment(s), {with_torch} with torch</source>
        <translation>
            <numerusform>共 %n 个环境，其中 {with_torch} 个装有 torch</numerusform>
        </translation>
    </message>
    <message>
        <source>No conda environments found. Create one on the first tab.</source>
        <translation>未找到 conda 环境。请在第一个标签页创建一个。</translation>
    </message>
    <message>
        <source>could not measure</source>
        <translation>无法测量</translation>
    </message>
    <message>
        <source>{bytes} bytes</source>
        <translation>{bytes} 字节</translation>
    </message>
    <message>
        <source>this environment has no torch to verify</source>
        <translation>此环境没有安装 torch，无法验证</translation>
    </message>
    <message>
        <source>Looking for environments…</source>
        <translation>正在查找环境…</translation>
    </message>
    <message>
        <source>Verifying {name}…</source>
        <translation>正在验证 {name}…</translation>
    </message>
    <message>
        <source>Running the smoke test with the environment&apos;s own Python.</source>
        <translation>正在用该环境自己的 Python 运行冒烟测试。</translation>
    </message>
    <message>
        <source>Export environment.yml</source>
        <translation>导出 environment.yml</translation>
    </message>
    <message>
        <source>YAML (*.yml *.yaml)</source>
        <translation>YAML 文件 (*.yml *.yaml)</translation>
    </message>
    <message>
        <source>Could not export {name}</source>
        <translation>无法导出 {name}</translation>
    </message>
    <message>
        <source>Wrote {path}</source>
        <translation>已写入 {path}</translation>
    </message>
    <message>
        <source>Remove environment</source>
        <translation>删除环境</translation>
    </message>
    <message>
        <source>Delete the environment {name} and everything in it?

{prefix}

This cannot be undone.</source>
        <translation>要删除环境 {name} 及其中的所有内容吗？

{prefix}

此操作无法撤销。</translation>
    </message>
    <message>
        <source>Folder for the lock (an empty one)</source>
        <translation>锁定文件的文件夹（须为空）</translation>
    </message>
    <message>
        <source>could not measure: {error}</source>
        <translation>无法测量：{error}</translation>
    </message>
    <message>
        <source>not measured (cancelled); Refresh measures again</source>
        <translation>未测量（已取消）；点击“刷新”可重新测量</translation>
    </message>
    <message>
        <source>What to do: {fix}</source>
        <translation>怎么办：{fix}</translation>
    </message>
    <message>
        <source>Verification: {verdict}</source>
        <translation>验证结果：{verdict}</translation>
    </message>
    <message>
        <source>Wrote the lock: {count} files</source>
        <translation>已写入锁定文件：{count} 个文件</translation>
    </message>
    <message>
        <source>Rebuild it with: torchdesk import FOLDER</source>
        <translation>用以下命令重建：torchdesk import FOLDER</translation>
    </message>
    <message>
        <source>Removed {prefix}</source>
        <translation>已删除 {prefix}</translation>
    </message>
    <message>
        <source>Listing environments failed</source>
        <translation>列出环境失败</translation>
    </message>
    <message>
        <source>Verification failed</source>
        <translation>验证失败</translation>
    </message>
    <message>
        <source>Removing the environment failed</source>
        <translation>删除环境失败</translation>
    </message>
    <message>
        <source>Repair failed</source>
        <translation>修复失败</translation>
    </message>
    <message>
        <source>The job failed</source>
        <translation>任务失败</translation>
    </message>
    <message>
        <source>Exporting the lock failed</source>
        <translation>导出锁定文件失败</translation>
    </message>
    <message>
        <source>Could not list environments.</source>
        <translation>无法列出环境。</translation>
    </message>
    <message>
        <source>Cancelled</source>
        <translation>已取消</translation>
    </message>
</context>
<context>
    <name>LogView</name>
    <message>
        <source>The output of a running job appears here, line by line.</source>
        <translation>运行中的任务输出会逐行显示在这里。</translation>
    </message>
</context>
<context>
    <name>MachinePanel</name>
    <message>
        <source>This machine</source>
        <translation>本机</translation>
    </message>
    <message>
        <source>Detecting…</source>
        <translation>正在检测…</translation>
    </message>
    <message>
        <source>Your GPUs will be listed here once detection finishes.</source>
        <translation>检测完成后，这里将列出你的 GPU。</translation>
    </message>
    <message>
        <source>GPU</source>
        <translation>GPU</translation>
    </message>
    <message>
        <source>Architecture</source>
        <translation>架构</translation>
    </message>
    <message>
        <source>CC</source>
        <translation>计算能力</translation>
    </message>
    <message>
        <source>Memory</source>
        <translation>显存</translation>
    </message>
    <message>
        <source>Compute capability</source>
        <translation>计算能力（Compute capability）</translation>
    </message>
    <message>
        <source>NVIDIA driver:</source>
        <translation>NVIDIA 驱动：</translation>
    </message>
    <message>
        <source>Newest CUDA it runs:</source>
        <translation>可运行的最新 CUDA：</translation>
    </message>
    <message>
        <source>Operating system:</source>
        <translation>操作系统：</translation>
    </message>
    <message>
        <source>CPU:</source>
        <translation>CPU：</translation>
    </message>
    <message>
        <source>RAM:</source>
        <translation>内存：</translation>
    </message>
    <message>
        <source>Free disk:</source>
        <translation>可用磁盘：</translation>
    </message>
    <message>
        <source>Conda:</source>
        <translation>Conda：</translation>
    </message>
    <message>
        <source>Where these facts came from</source>
        <translation>这些信息的来源</translation>
    </message>
    <message>
        <source>1 GPU found</source>
        <translation>找到 1 块 GPU</translation>
    </message>
    <message numerus="yes">
        <source>%n GPUs found</source>
        <translation>
            <numerusform>找到 %n 块 GPU</numerusform>
        </translation>
    </message>
    <message>
        <source>No GPU found: PyTorch will use the CPU</source>
        <translation>未找到 GPU：PyTorch 将使用 CPU</translation>
    </message>
    <message>
        <source>No GPU on this machine: PyTorch&apos;s CPU build runs here. A GPU, once installed with its driver, is listed here.</source>
        <translation>本机没有 GPU：这里运行的是 PyTorch 的 CPU 版本。装好 GPU 及其驱动后，它会显示在这里。</translation>
    </message>
    <message>
        <source>{memory} (model spec)</source>
        <translation>{memory}（型号规格）</translation>
    </message>
    <message>
        <source> (no driver loaded)</source>
        <translation>（未加载驱动）</translation>
    </message>
    <message>
        <source>unknown</source>
        <translation>未知</translation>
    </message>
    <message>
        <source>not found</source>
        <translation>未找到</translation>
    </message>
    <message>
        <source>no NVIDIA driver</source>
        <translation>没有 NVIDIA 驱动</translation>
    </message>
    <message numerus="yes">
        <source>%n environment(s)</source>
        <translation>
            <numerusform>%n 个环境</numerusform>
        </translation>
    </message>
    <message>
        <source>none installed (TorchDesk&apos;s built-in engine needs none)</source>
        <translation>未安装（TorchDesk 内置引擎不需要 conda）</translation>
    </message>
    <message>
        <source>What to do</source>
        <translation>怎么办</translation>
    </message>
    <message>
        <source>(none recorded)</source>
        <translation>（无记录）</translation>
    </message>
    <message>
        <source>Detection failed: {error}. The recommendation below assumes a machine without a GPU.</source>
        <translation>检测失败：{error}。下面的推荐按没有 GPU 的机器计算。</translation>
    </message>
</context>
<context>
    <name>MainWindow</name>
    <message>
        <source>Thi&amp;s machine</source>
        <translation>本机(&amp;S)</translation>
    </message>
    <message>
        <source>&amp;Environments</source>
        <translation>环境(&amp;E)</translation>
    </message>
    <message>
        <source>C&amp;ompatibility</source>
        <translation>兼容性(&amp;O)</translation>
    </message>
    <message>
        <source>&amp;Plan for another machine</source>
        <translation>为其他机器规划(&amp;P)</translation>
    </message>
    <message>
        <source>Cl&amp;uster</source>
        <translation>集群(&amp;U)</translation>
    </message>
    <message>
        <source>Detecting this machine…</source>
        <translation>正在检测本机…</translation>
    </message>
    <message>
        <source>compatibility data {version}</source>
        <translation>兼容性数据 {version}</translation>
    </message>
    <message>
        <source>(bundled copy: the downloaded one is invalid)</source>
        <translation>（内置副本：下载的副本无效）</translation>
    </message>
    <message>
        <source>Ready: detected in {seconds} s; {data}</source>
        <translation>就绪：检测用时 {seconds} 秒；{data}</translation>
    </message>
    <message>
        <source>Detection failed</source>
        <translation>检测失败</translation>
    </message>
    <message>
        <source>TorchDesk could not start up</source>
        <translation>TorchDesk 无法启动</translation>
    </message>
    <message>
        <source>Loading the compatibility data or detecting this machine failed: {error}. Reinstall TorchDesk if this persists.</source>
        <translation>加载兼容性数据或检测本机失败：{error}。如果问题持续，请重新安装 TorchDesk。</translation>
    </message>
    <message>
        <source>no PyTorch build fits this machine with the current choices: see the Recommendation for why and what you can do</source>
        <translation>按当前选择，没有适合本机的 PyTorch 构建：原因和可行的办法请看“推荐”</translation>
    </message>
    <message>
        <source>working out the plan for the new choices…</source>
        <translation>正在按新的选择计算方案…</translation>
    </message>
    <message>
        <source>No compatibility table row says this.</source>
        <translation>兼容性表中没有哪一行说明这一点。</translation>
    </message>
    <message>
        <source>No compatibility table row or recorded source says this: it is worked out from what was detected on the machine and from the other lines.</source>
        <translation>兼容性表中没有对应的行，也没有记录的来源：这是根据在该机器上检测到的信息和其他各行推算出来的。</translation>
    </message>
    <message>
        <source>Export environment.yml</source>
        <translation>导出 environment.yml</translation>
    </message>
    <message>
        <source>Conda environment (*.yml *.yaml)</source>
        <translation>Conda 环境文件 (*.yml *.yaml)</translation>
    </message>
    <message>
        <source>Could not export</source>
        <translation>无法导出</translation>
    </message>
    <message>
        <source>Writing {path} failed: {error}.</source>
        <translation>写入 {path} 失败：{error}。</translation>
    </message>
    <message>
        <source>Wrote {path}</source>
        <translation>已写入 {path}</translation>
    </message>
    <message>
        <source>Cannot copy the commands</source>
        <translation>无法复制命令</translation>
    </message>
    <message>
        <source>Copied the commands to the clipboard</source>
        <translation>命令已复制到剪贴板</translation>
    </message>
    <message>
        <source>Creating the environment…</source>
        <translation>正在创建环境…</translation>
    </message>
    <message>
        <source>A job is running</source>
        <translation>有任务正在运行</translation>
    </message>
    <message>
        <source>{jobs} is still running. Cancel it and quit? What it created so far will be removed.</source>
        <translation>{jobs} 仍在运行。要取消它并退出吗？它目前创建的内容将被删除。</translation>
    </message>
</context>
<context>
    <name>MenuWindow</name>
    <message>
        <source>&amp;File</source>
        <translation>文件(&amp;F)</translation>
    </message>
    <message>
        <source>&amp;Export environment.yml…</source>
        <translation>导出 environment.yml(&amp;E)…</translation>
    </message>
    <message>
        <source>&amp;Copy commands</source>
        <translation>复制命令(&amp;C)</translation>
    </message>
    <message>
        <source>Open &amp;logs folder</source>
        <translation>打开日志文件夹(&amp;L)</translation>
    </message>
    <message>
        <source>&amp;Quit</source>
        <translation>退出(&amp;Q)</translation>
    </message>
    <message>
        <source>&amp;Tools</source>
        <translation>工具(&amp;T)</translation>
    </message>
    <message>
        <source>&amp;Settings…</source>
        <translation>设置(&amp;S)…</translation>
    </message>
    <message>
        <source>Check for &amp;data updates</source>
        <translation>检查数据更新(&amp;D)</translation>
    </message>
    <message>
        <source>&amp;Disk use and caches…</source>
        <translation>磁盘占用与缓存(&amp;D)…</translation>
    </message>
    <message>
        <source>&amp;Help</source>
        <translation>帮助(&amp;H)</translation>
    </message>
    <message>
        <source>&amp;About TorchDesk</source>
        <translation>关于 TorchDesk(&amp;A)</translation>
    </message>
    <message>
        <source>The new language shows after TorchDesk restarts.</source>
        <translation>新的语言将在 TorchDesk 重启后生效。</translation>
    </message>
    <message>
        <source>Checking {url} for newer compatibility data…</source>
        <translation>正在检查 {url} 上是否有更新的兼容性数据…</translation>
    </message>
    <message>
        <source>Compatibility data updated from {old} to {new}. Recomputing the plan.</source>
        <translation>兼容性数据已从 {old} 更新到 {new}。正在重新计算方案。</translation>
    </message>
    <message>
        <source>The compatibility data is up to date ({version}).</source>
        <translation>兼容性数据已是最新（{version}）。</translation>
    </message>
    <message>
        <source>Data update</source>
        <translation>数据更新</translation>
    </message>
    <message>
        <source>Data update failed</source>
        <translation>数据更新失败</translation>
    </message>
    <message>
        <source>Could not update the compatibility data</source>
        <translation>无法更新兼容性数据</translation>
    </message>
    <message>
        <source>About TorchDesk</source>
        <translation>关于 TorchDesk</translation>
    </message>
    <message>
        <source>not loaded yet</source>
        <translation>尚未加载</translation>
    </message>
    <message>
        <source>Compatibility data {data}</source>
        <translation>兼容性数据 {data}</translation>
    </message>
    <message>
        <source>Detects your GPU and driver, picks the PyTorch / CUDA / Python combination that runs on it, builds the conda environment and proves it works.</source>
        <translation>检测你的 GPU 和驱动，挑选能在其上运行的 PyTorch / CUDA / Python 组合，创建 conda 环境并验证它确实可用。</translation>
    </message>
</context>
<context>
    <name>OtherMachinePanel</name>
    <message>
        <source>e.g. 570.86.10 (empty: assume a new enough driver)</source>
        <translation>例如 570.86.10（留空：假定驱动足够新）</translation>
    </message>
    <message>
        <source>Re&amp;commend</source>
        <translation>推荐(&amp;C)</translation>
    </message>
    <message>
        <source>E&amp;xport environment.yml…</source>
        <translation>导出 environment.yml(&amp;X)…</translation>
    </message>
    <message>
        <source>&amp;GPU model:</source>
        <translation>GPU 型号(&amp;G)：</translation>
    </message>
    <message>
        <source>&amp;Driver:</source>
        <translation>驱动(&amp;D)：</translation>
    </message>
    <message>
        <source>Operati&amp;ng system:</source>
        <translation>操作系统(&amp;N)：</translation>
    </message>
    <message>
        <source>CPU &amp;architecture:</source>
        <translation>CPU 架构(&amp;A)：</translation>
    </message>
    <message>
        <source>Recommendation for that machine</source>
        <translation>为该机器推荐的方案</translation>
    </message>
    <message>
        <source>Describe the machine above, then press Recommend.</source>
        <translation>先在上方描述该机器，然后点击“推荐”。</translation>
    </message>
    <message>
        <source>Plan for another machine</source>
        <translation>为其他机器规划</translation>
    </message>
</context>
<context>
    <name>RecommendationPanel</name>
    <message>
        <source>Recommendation</source>
        <translation>推荐</translation>
    </message>
    <message>
        <source>Waiting for detection…</source>
        <translation>正在等待检测结果…</translation>
    </message>
    <message>
        <source>P&amp;ython</source>
        <translation>P&amp;ython</translation>
    </message>
    <message>
        <source>PyTorch &amp;release</source>
        <translation>PyTorch 版本(&amp;R)</translation>
    </message>
    <message>
        <source>CUDA &amp;build</source>
        <translation>CUDA 构建(&amp;B)</translation>
    </message>
    <message>
        <source>PyTorch:</source>
        <translation>PyTorch：</translation>
    </message>
    <message>
        <source>CUDA build:</source>
        <translation>CUDA 构建：</translation>
    </message>
    <message>
        <source>Python:</source>
        <translation>Python：</translation>
    </message>
    <message>
        <source>torchvision:</source>
        <translation>torchvision：</translation>
    </message>
    <message>
        <source>torchaudio:</source>
        <translation>torchaudio：</translation>
    </message>
    <message>
        <source>numpy:</source>
        <translation>numpy：</translation>
    </message>
    <message>
        <source>pip index:</source>
        <translation>pip 索引：</translation>
    </message>
    <message>
        <source>Each reason for the plan (GPU architecture, driver, CUDA, Python) will be listed here, with its source.</source>
        <translation>这里将逐条列出选择此方案的理由（GPU 架构、驱动、CUDA、Python）及其来源。</translation>
    </message>
    <message>
        <source>Why this plan</source>
        <translation>为什么是这个方案</translation>
    </message>
    <message>
        <source>e.g. ffmpeg libjpeg-turbo</source>
        <translation>例如 ffmpeg libjpeg-turbo</translation>
    </message>
    <message>
        <source>e.g. transformers scipy&gt;=1.10</source>
        <translation>例如 transformers scipy&gt;=1.10</translation>
    </message>
    <message>
        <source>Extra &amp;conda packages:</source>
        <translation>额外的 conda 包(&amp;C)：</translation>
    </message>
    <message>
        <source>Extra p&amp;ip packages:</source>
        <translation>额外的 pip 包(&amp;I)：</translation>
    </message>
    <message>
        <source>Working out the plan…</source>
        <translation>正在计算方案…</translation>
    </message>
    <message>
        <source>Install {summary}</source>
        <translation>安装 {summary}</translation>
    </message>
    <message>
        <source>(CUDA {version} runtime inside the wheels)</source>
        <translation>（wheel 内含 CUDA {version} 运行时）</translation>
    </message>
    <message>
        <source>(also supported: {versions})</source>
        <translation>（也支持：{versions}）</translation>
    </message>
    <message>
        <source>none released for this torch</source>
        <translation>此 torch 版本没有对应发布</translation>
    </message>
    <message>
        <source>any version torch accepts</source>
        <translation>任何 torch 接受的版本</translation>
    </message>
    <message>
        <source>Source: {source}</source>
        <translation>来源：{source}</translation>
    </message>
    <message>
        <source>why do you say that?</source>
        <translation>为什么这么说？</translation>
    </message>
    <message>
        <source>Show the compatibility table row this line comes from, or its source</source>
        <translation>显示这一行所依据的兼容性表行，或其来源</translation>
    </message>
    <message>
        <source>Best for this machine (no GPU: the CPU build)</source>
        <translation>最适合本机（无 GPU：CPU 构建）</translation>
    </message>
    <message>
        <source>no GPU was found: the CPU build is the one that runs here</source>
        <translation>未找到 GPU：本机能运行的是 CPU 构建</translation>
    </message>
    <message>
        <source>&amp;Build</source>
        <translation>构建(&amp;B)</translation>
    </message>
    <message>
        <source>Build:</source>
        <translation>构建：</translation>
    </message>
    <message>
        <source>runs on the CPU only, not on the GPU</source>
        <translation>只在 CPU 上运行，不使用 GPU</translation>
    </message>
    <message>
        <source>the {variant} build</source>
        <translation>{variant} 构建</translation>
    </message>
    <message>
        <source>Use torch {torch} ({variant}) instead: {what}</source>
        <translation>改用 torch {torch}（{variant}）：{what}</translation>
    </message>
    <message>
        <source>Could not work out a plan: {message}</source>
        <translation>无法计算方案：{message}</translation>
    </message>
</context>
<context>
    <name>SettingsDialog</name>
    <message>
        <source>Settings</source>
        <translation>设置</translation>
    </message>
    <message>
        <source>Browse…</source>
        <translation>浏览…</translation>
    </message>
    <message>
        <source>Follow the system</source>
        <translation>跟随系统</translation>
    </message>
    <message>
        <source>Light</source>
        <translation>浅色</translation>
    </message>
    <message>
        <source>Dark</source>
        <translation>深色</translation>
    </message>
    <message>
        <source>A new language shows after TorchDesk restarts.</source>
        <translation>更改语言后需重启 TorchDesk 才会生效。</translation>
    </message>
    <message>
        <source>&amp;Theme:</source>
        <translation>主题(&amp;T)：</translation>
    </message>
    <message>
        <source>&amp;Language:</source>
        <translation>语言(&amp;L)：</translation>
    </message>
    <message>
        <source>Conda &amp;engine:</source>
        <translation>Conda 引擎(&amp;E)：</translation>
    </message>
    <message>
        <source>Environments &amp;folder:</source>
        <translation>环境文件夹(&amp;F)：</translation>
    </message>
    <message>
        <source>conda-forge mirror:</source>
        <translation>conda-forge 镜像：</translation>
    </message>
    <message>
        <source>PyTorch wheel mirror:</source>
        <translation>PyTorch wheel 镜像：</translation>
    </message>
    <message>
        <source>PyPI mirror:</source>
        <translation>PyPI 镜像：</translation>
    </message>
    <message>
        <source>(the origin)</source>
        <translation>（官方源）</translation>
    </message>
    <message>
        <source>a preset, or your own https:// or file:// URL</source>
        <translation>预设镜像，或你自己的 https:// 或 file:// 地址</translation>
    </message>
    <message>
        <source>conda-forge (default); space-separated names or URLs</source>
        <translation>conda-forge（默认）；多个名称或 URL 用空格分隔</translation>
    </message>
    <message>
        <source>Conda &amp;channels:</source>
        <translation>Conda 频道(&amp;C)：</translation>
    </message>
    <message>
        <source>&amp;Data update URL:</source>
        <translation>数据更新地址(&amp;D)：</translation>
    </message>
    <message>
        <source>none; space-separated host names, such as mirror.example.com</source>
        <translation>无；多个主机名用空格分隔，例如 mirror.example.com</translation>
    </message>
    <message>
        <source>Compatibility data may install only from download.pytorch.org, PyPI, the anaconda channels and the mirror presets. Add a host here only if you trust it.</source>
        <translation>兼容性数据只允许从 download.pytorch.org、PyPI、anaconda 频道和预设镜像安装。只有你信任的主机才应加到这里。</translation>
    </message>
    <message>
        <source>Extra allowed &amp;hosts:</source>
        <translation>额外允许的主机(&amp;H)：</translation>
    </message>
    <message>
        <source>Environments folder</source>
        <translation>环境文件夹</translation>
    </message>
    <message>
        <source>the environments folder must be a full path, such as {example}</source>
        <translation>环境文件夹必须是完整路径，例如 {example}</translation>
    </message>
    <message>
        <source>the data update URL must start with https:// (data is downloaded over https only)</source>
        <translation>数据更新地址必须以 https:// 开头（数据只通过 https 下载）</translation>
    </message>
    <message>
        <source>extra allowed hosts: {error}</source>
        <translation>额外允许的主机：{error}</translation>
    </message>
    <message>
        <source>could not save the allowed hosts ({error}); check that your settings folder is writable</source>
        <translation>无法保存允许的主机（{error}）；请检查设置文件夹是否可写</translation>
    </message>
</context>
<context>
    <name>_Bridge</name>
    <message>
        <source>Something went wrong</source>
        <translation>出错了</translation>
    </message>
    <message>
        <source>TorchDesk hit an unexpected error: {error}. It was written to the log (File &gt; Open logs folder); please include it in a bug report.</source>
        <translation>TorchDesk 遇到意外错误：{error}。错误已写入日志（文件 &gt; 打开日志文件夹）；报告问题时请附上它。</translation>
    </message>
</context>
<context>
    <name>core</name>
    <message>
        <source>unknown</source>
        <translation>未知</translation>
    </message>
    <message>
        <source>Automatic</source>
        <translation>自动</translation>
    </message>
    <message>
        <source>Newest that fits</source>
        <translation>可用的最新版本</translation>
    </message>
    <message>
        <source>Best for this GPU</source>
        <translation>最适合此 GPU</translation>
    </message>
    <message>
        <source>the newest Python the chosen release supports that has been out a year</source>
        <translation>所选版本支持的、发布已满一年的最新 Python</translation>
    </message>
    <message>
        <source>the newest PyTorch release that runs on this machine</source>
        <translation>能在本机运行的最新 PyTorch 版本</translation>
    </message>
    <message>
        <source>the index&apos;s default build if it runs here, else the newest that does</source>
        <translation>若索引的默认构建能在本机运行就用它，否则用能运行的最新构建</translation>
    </message>
    <message>
        <source>unknown (no NVIDIA driver found)</source>
        <translation>未知（未找到 NVIDIA 驱动）</translation>
    </message>
    <message>
        <source>unknown (driver version not read)</source>
        <translation>未知（未读取到驱动版本）</translation>
    </message>
    <message>
        <source>none in the data (driver too old)</source>
        <translation>数据中没有（驱动太旧）</translation>
    </message>
    <message>
        <source>No PyTorch build fits this machine. Why: the ✗ lines below.</source>
        <translation>没有适合本机的 PyTorch 构建。原因见下方标 ✗ 的各行。</translation>
    </message>
    <message>
        <source>No PyTorch build fits this machine with these choices. Why: the ✗ lines below.</source>
        <translation>按这些选择，没有适合本机的 PyTorch 构建。原因见下方标 ✗ 的各行。</translation>
    </message>
    <message>
        <source>driver %1 &gt;= %2, CUDA %3&apos;s own minimum (%4) (driver branch %5: assumed %6 or newer; check nvidia-smi)</source>
        <translation>驱动 %1 &gt;= %2，达到 CUDA %3 本身的最低要求（%4）（驱动分支 %5：按 %6 或更高版本计算；请用 nvidia-smi 确认）</translation>
    </message>
    <message>
        <source>driver %1 &gt;= %2, the CUDA %3.x minor-version-compatibility floor (CUDA %4&apos;s own minimum is %5) (driver branch %6: assumed %7 or newer; check nvidia-smi)</source>
        <translation>驱动 %1 &gt;= %2，达到 CUDA %3.x 次版本兼容的最低要求（CUDA %4 本身的最低要求是 %5）（驱动分支 %6：按 %7 或更高版本计算；请用 nvidia-smi 确认）</translation>
    </message>
    <message>
        <source>driver %1 cannot run CUDA %2 builds: update to %3 or newer: with %4 the plan is %5; with %6 it is %7</source>
        <translation>驱动 %1 无法运行 CUDA %2 构建：请更新到 %3 或更高版本：驱动为 %4 时方案是 %5；为 %6 时是 %7</translation>
    </message>
    <message>
        <source>PyTorch publishes ROCm wheels for Linux only: on %1 the AMD GPU is not used (the CPU build)</source>
        <translation>PyTorch 只为 Linux 发布 ROCm wheel 包：在 %1 上不会使用 AMD GPU（改用 CPU 构建）</translation>
    </message>
    <message>
        <source>no release matching --torch %1 supports Python %2 (supported: %3)</source>
        <translation>没有符合 --torch %1 的版本支持 Python %2（支持的有：%3）</translation>
    </message>
    <message>
        <source>CPU build: the GPU will not be used</source>
        <translation>CPU 构建：不会使用 GPU</translation>
    </message>
    <message>
        <source>torch %1 is the newest release in the data that passes the pin --torch %2</source>
        <translation>torch %1 是数据中符合 --torch %2 且通过全部检查的最新版本</translation>
    </message>
    <message>
        <source>...and %1 more newer releases rejected (see rejected)</source>
        <translation>……另有 %1 个更新的版本未通过检查（见被排除的候选）</translation>
    </message>
    <message>
        <source>%1 as pinned</source>
        <translation>%1（按你的选择）</translation>
    </message>
    <message>
        <source>Python %1 is supported by torch %2 (%3)</source>
        <translation>torch %2 支持 Python %1（它支持 %3）</translation>
    </message>
    <message>
        <source>numpy%1: built against numpy 1.x</source>
        <translation>numpy%1：此 torch 基于 numpy 1.x 构建</translation>
    </message>
    <message>
        <source>torch %1 was built against numpy 1.x: keep numpy%2 in this environment</source>
        <translation>torch %1 基于 numpy 1.x 构建：请在此环境中保持 numpy%2</translation>
    </message>
    <message>
        <source>torch %1 runs on %2 (%3, fp32 matmul rel. error %4)</source>
        <translation>torch %1 可在 %2 上运行（%3，fp32 矩阵乘法相对误差 %4）</translation>
    </message>
    <message>
        <source>torch %1 works on the CPU</source>
        <translation>torch %1 可在 CPU 上运行</translation>
    </message>
    <message>
        <source>torch %1 has no kernels for %2 (%3): it carries %4</source>
        <translation>torch %1 没有 %2（%3）的内核：它只包含 %4</translation>
    </message>
    <message>
        <source>%1 (%2) needs a %3 build: torch %4 or newer (`torchdesk create --torch %5 --variant %6`)</source>
        <translation>%1（%2）需要 %3 构建：torch %4 或更高版本（`torchdesk create --torch %5 --variant %6`）</translation>
    </message>
    <message>
        <source>macOS default wheels: Apple GPU through MPS</source>
        <translation>macOS 默认 wheel 包：通过 MPS 使用 Apple GPU</translation>
    </message>
    <message>
        <source>driver version unknown: the plan assumes a driver new enough for its CUDA build</source>
        <translation>驱动版本未知：此方案假定驱动足够新，能运行其 CUDA 构建</translation>
    </message>
    <message>
        <source>no %1 wheels for %2</source>
        <translation>%2 没有 %1 的 wheel 包</translation>
    </message>
    <message>
        <source>driver %1 &gt;= %2, CUDA %3&apos;s own minimum (%4)</source>
        <translation>驱动 %1 &gt;= %2，达到 CUDA %3 本身的最低要求（%4）</translation>
    </message>
    <message>
        <source>driver not known: CUDA %1 builds need %2 driver &gt;= %3</source>
        <translation>驱动版本未知：CUDA %1 构建需要 %2 驱动 &gt;= %3</translation>
    </message>
    <message>
        <source>%1: the newest build that fits (the index default, %2, would not use the GPU)</source>
        <translation>%1：适合本机的最新构建（索引默认的 %2 用不上 GPU）</translation>
    </message>
    <message>
        <source>for %1 alone: torch %2 %3 (select it with CUDA_VISIBLE_DEVICES=%4)</source>
        <translation>仅用 %1 时：torch %2 %3（用 CUDA_VISIBLE_DEVICES=%4 选中它）</translation>
    </message>
    <message>
        <source>No single PyTorch build runs on all %1 GPUs of this machine. Why: the ✗ lines below.</source>
        <translation>没有一个 PyTorch 构建能在本机全部 %1 块 GPU 上运行。原因见下方标 ✗ 的各行。</translation>
    </message>
    <message>
        <source>gives torch %1 (%2) on Python %3</source>
        <translation>得到 torch %1 (%2)，使用 Python %3</translation>
    </message>
    <message>
        <source>Python %1 is not supported by torch %2 (%3)</source>
        <translation>torch %2 不支持 Python %1（它支持 %3）</translation>
    </message>
    <message>
        <source>Python %1: %2</source>
        <translation>Python %1：%2</translation>
    </message>
    <message>
        <source>torch %1: %2</source>
        <translation>torch %1：%2</translation>
    </message>
    <message>
        <source>for %1: %2</source>
        <translation>对于 %1：%2</translation>
    </message>
    <message>
        <source>%1: %2</source>
        <translation>%1：%2</translation>
    </message>
    <message>
        <source>%1; %2</source>
        <translation>%1；%2</translation>
    </message>
    <message>
        <source>no NVIDIA GPU: a CUDA build would only use the CPU here</source>
        <translation>没有 NVIDIA GPU：CUDA 构建在这里也只会用 CPU</translation>
    </message>
    <message>
        <source>it has no ROCm build in the data</source>
        <translation>数据中没有它的 ROCm 构建</translation>
    </message>
    <message>
        <source>%1: torch %2 %3 - no kernels for %4: the wheel carries %5</source>
        <translation>%1：torch %2 %3 - 没有 %4 的内核：该 wheel 只包含 %5</translation>
    </message>
    <message>
        <source>driver %1 is older than %2, the minimum for CUDA %3 (%4): update the driver</source>
        <translation>驱动 %1 低于 CUDA %3 的最低要求 %2（%4）：请更新驱动</translation>
    </message>
    <message>
        <source>driver %1 predates %2 GPUs (%3): they need &gt;= %4 (%5): update the driver</source>
        <translation>驱动 %1 早于 %2 GPU（%3）：它们需要 &gt;= %4 的驱动（%5）：请更新驱动</translation>
    </message>
    <message>
        <source>torch %1 %2: %3</source>
        <translation>torch %1 %2：%3</translation>
    </message>
    <message>
        <source>not torch %1: %2</source>
        <translation>未选 torch %1：%2</translation>
    </message>
    <message>
        <source>%1: the newest build that fits (the index default, %2, does not fit: %3)</source>
        <translation>%1：适合本机的最新构建（索引默认的 %2 不适合：%3）</translation>
    </message>
    <message>
        <source>numpy: no constraint beyond what torch requires</source>
        <translation>numpy：除 torch 自身的要求外没有其他限制</translation>
    </message>
    <message>
        <source>no supported GPU: the CPU build</source>
        <translation>没有受支持的 GPU：使用 CPU 构建</translation>
    </message>
    <message>
        <source>%1: compute capability %2 (%3)</source>
        <translation>%1：计算能力 %2（%3 架构）</translation>
    </message>
    <message>
        <source>driver %1 runs CUDA up to %2</source>
        <translation>驱动 %1 最高可运行 CUDA %2</translation>
    </message>
    <message>
        <source>%1: AMD gfx target %2 (%3)</source>
        <translation>%1：AMD gfx 目标 %2（%3 架构）</translation>
    </message>
    <message>
        <source>%1 wheels exist for %2</source>
        <translation>%2 有 %1 的 wheel 包</translation>
    </message>
    <message>
        <source>%1: torch %2 %3 - SASS %4 runs on %5</source>
        <translation>%1：torch %2 %3 - SASS %4 可在 %5 上运行</translation>
    </message>
    <message>
        <source>%1: torch %2 %3 - %4 carries %5 kernels</source>
        <translation>%1：torch %2 %3 - %4 包含 %5 的内核</translation>
    </message>
    <message>
        <source>%1: torch %2 %3 - no SASS for %4; PTX compute_%5 is JIT-compiled by the driver</source>
        <translation>%1：torch %2 %3 - 没有 %4 的 SASS；PTX compute_%5 由驱动即时编译（JIT）</translation>
    </message>
    <message>
        <source>%1: torch %2 %3 - its architecture list is not known, so %4 support cannot be promised</source>
        <translation>%1：torch %2 %3 - 其架构列表未知，因此无法保证支持 %4</translation>
    </message>
    <message>
        <source>driver %1 &gt;= %2, the CUDA %3.x minor-version-compatibility floor (CUDA %4&apos;s own minimum is %5)</source>
        <translation>驱动 %1 &gt;= %2，达到 CUDA %3.x 次版本兼容的最低要求（CUDA %4 本身的最低要求是 %5）</translation>
    </message>
    <message>
        <source>ROCm %1 user space (HIP runtime) ships inside the wheels; the host needs an amdgpu kernel driver that AMD&apos;s compatibility matrix lists for ROCm %2 (not checked: AMD documents it as a table of releases, not a rule TorchDesk can test)</source>
        <translation>ROCm %1 用户态（HIP 运行时）随 wheel 包一起提供；主机需要 AMD 兼容性矩阵中为 ROCm %2 列出的 amdgpu 内核驱动（未检查：AMD 给出的是版本对照表，而不是 TorchDesk 能检验的规则）</translation>
    </message>
    <message>
        <source>torch %1 is the newest release in the data that passes</source>
        <translation>torch %1 是数据中通过全部检查的最新版本</translation>
    </message>
    <message>
        <source>torch %1 is the newest release that passes</source>
        <translation>torch %1 是通过全部检查的最新版本</translation>
    </message>
    <message>
        <source>%1 is the build a plain `pip install torch==%2` gets on %3</source>
        <translation>在 %3 上直接运行 `pip install torch==%2` 得到的就是 %1 构建</translation>
    </message>
    <message>
        <source>%1: the newest ROCm build whose gfx list covers every AMD GPU here (the index default, %2, is not a ROCm build)</source>
        <translation>%1：gfx 列表覆盖本机所有 AMD GPU 的最新 ROCm 构建（索引默认的 %2 不是 ROCm 构建）</translation>
    </message>
    <message>
        <source>Python %1: the newest of %2 that has been out for a year</source>
        <translation>Python %1：%2 中发布已满一年的最新版本</translation>
    </message>
    <message>
        <source>torchvision %1, torchaudio (none released)</source>
        <translation>配套包：torchvision %1，torchaudio（未发布）</translation>
    </message>
    <message>
        <source>torchvision %1, torchaudio %2</source>
        <translation>配套包：torchvision %1，torchaudio %2</translation>
    </message>
    <message>
        <source>for %1 alone: no CUDA build runs with driver %2; with %3 or newer: torch %4 %5</source>
        <translation>仅用 %1 时：驱动 %2 无法运行任何 CUDA 构建；驱动为 %3 或更高版本时：torch %4 %5</translation>
    </message>
    <message>
        <source>for %1 alone: no CUDA build in the data fits</source>
        <translation>仅用 %1 时：数据中没有适用的 CUDA 构建</translation>
    </message>
    <message>
        <source>driver %1 cannot run any PyTorch build for %2 (CUDA %3 builds need &gt;= %4 on %5): update to %6 or newer: with %7 the plan is %8; with %9 it is %10</source>
        <translation>驱动 %1 无法运行任何适用于 %2 的 PyTorch 构建（CUDA %3 构建在 %5 上需要 &gt;= %4）：请更新到 %6 或更高版本：驱动为 %7 时方案是 %8；为 %9 时是 %10</translation>
    </message>
    <message>
        <source>driver %1 cannot run any PyTorch build for %2 (CUDA %3 builds need &gt;= %4 on %5): update to %6 or newer: with %7 the plan is %8</source>
        <translation>驱动 %1 无法运行任何适用于 %2 的 PyTorch 构建（CUDA %3 构建在 %5 上需要 &gt;= %4）：请更新到 %6 或更高版本：驱动为 %7 时方案是 %8</translation>
    </message>
    <message>
        <source>driver %1 cannot run any PyTorch build for %2 (%3 needs &gt;= %4 on %5): update to %6 or newer: with %7 the plan is %8; with %9 it is %10</source>
        <translation>驱动 %1 无法运行任何适用于 %2 的 PyTorch 构建（%3 在 %5 上需要 &gt;= %4）：请更新到 %6 或更高版本：驱动为 %7 时方案是 %8；为 %9 时是 %10</translation>
    </message>
    <message>
        <source>driver %1 cannot run any PyTorch build for %2 (%3 needs &gt;= %4 on %5): update to %6 or newer: with %7 the plan is %8</source>
        <translation>驱动 %1 无法运行任何适用于 %2 的 PyTorch 构建（%3 在 %5 上需要 &gt;= %4）：请更新到 %6 或更高版本：驱动为 %7 时方案是 %8</translation>
    </message>
    <message>
        <source>driver %1 cannot run CUDA %2 builds on %3 GPUs: update to %4 or newer: with %5 the plan is %6; with %7 it is %8</source>
        <translation>驱动 %1 无法在 %3 GPU 上运行 CUDA %2 构建：请更新到 %4 或更高版本：驱动为 %5 时方案是 %6；为 %7 时是 %8</translation>
    </message>
    <message>
        <source>driver %1 cannot run CUDA %2 builds on %3 GPUs: update to %4 or newer: with %5 the plan is %6</source>
        <translation>驱动 %1 无法在 %3 GPU 上运行 CUDA %2 构建：请更新到 %4 或更高版本：驱动为 %5 时方案是 %6</translation>
    </message>
    <message>
        <source>driver %1 cannot run CUDA %2 builds: update to %3 or newer: with %4 the plan is %5</source>
        <translation>驱动 %1 无法运行 CUDA %2 构建：请更新到 %3 或更高版本：驱动为 %4 时方案是 %5</translation>
    </message>
    <message>
        <source>torch %1 (%2) on Python %3, torchvision %4, torchaudio %5</source>
        <translation>torch %1 (%2)，使用 Python %3，配套 torchvision %4、torchaudio %5</translation>
    </message>
    <message>
        <source>torch %1 (%2) on Python %3, torchvision %4</source>
        <translation>torch %1 (%2)，使用 Python %3，配套 torchvision %4</translation>
    </message>
</context>
</TS>
