# The drl_cuda library, shared by the project build (cuda/CMakeLists.txt) and
# the GPU-only device build (tests/gpu/standalone/). Expects CUDA enabled,
# CUDAToolkit found, and a target `drl_cuda_includes` or the include
# directories src/ and the repository root on the consumer.
set(DRL_CUDA_SOURCES
  ${CMAKE_CURRENT_LIST_DIR}/cuda_context.cu
  ${CMAKE_CURRENT_LIST_DIR}/cuda_ops.cu
  ${CMAKE_CURRENT_LIST_DIR}/cuda_linear.cu
  ${CMAKE_CURRENT_LIST_DIR}/cuda_layernorm.cu
  ${CMAKE_CURRENT_LIST_DIR}/cuda_attention.cu
  ${CMAKE_CURRENT_LIST_DIR}/cuda_elementwise.cu
  ${CMAKE_CURRENT_LIST_DIR}/cuda_softmax.cu
  ${CMAKE_CURRENT_LIST_DIR}/cuda_embedding.cu
  ${CMAKE_CURRENT_LIST_DIR}/cuda_l2norm.cu
  ${CMAKE_CURRENT_LIST_DIR}/cuda_reduce.cu
  ${CMAKE_CURRENT_LIST_DIR}/cuda_frames.cu
  ${CMAKE_CURRENT_LIST_DIR}/cuda_tokenwise.cu
  ${CMAKE_CURRENT_LIST_DIR}/cuda_heads.cu
  ${CMAKE_CURRENT_LIST_DIR}/cuda_loss.cu
  ${CMAKE_CURRENT_LIST_DIR}/cuda_xti.cu
  ${CMAKE_CURRENT_LIST_DIR}/cuda_lstm.cu
  ${CMAKE_CURRENT_LIST_DIR}/cuda_adam.cu
  ${CMAKE_CURRENT_LIST_DIR}/cuda_gemm_rate.cu)
add_library(drl_cuda STATIC ${DRL_CUDA_SOURCES})
get_filename_component(DRL_CUDA_REPO_ROOT ${CMAKE_CURRENT_LIST_DIR}/.. ABSOLUTE)
target_include_directories(drl_cuda PUBLIC ${DRL_CUDA_REPO_ROOT}/src ${DRL_CUDA_REPO_ROOT})
target_link_libraries(drl_cuda PUBLIC CUDA::cudart CUDA::cublas CUDA::cublasLt)
set_target_properties(drl_cuda PROPERTIES CUDA_ARCHITECTURES 90 CUDA_STANDARD 17
  CUDA_STANDARD_REQUIRED ON POSITION_INDEPENDENT_CODE ON)
target_compile_options(drl_cuda PRIVATE
  $<$<COMPILE_LANGUAGE:CUDA>:--Werror=all-warnings -Xcompiler=-Wall,-Wextra,-Werror -lineinfo>)
