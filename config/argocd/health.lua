-- Argo CD health of a knapp App (knapp.dev/App), from its status:
--   Progressing  knapp has not seen the App's latest generation yet, or its
--                Ready condition is Unknown (deploying, building, a
--                progressive release climbing its steps);
--   Suspended    a progressive release is paused (spec.release.progressive.paused);
--   Degraded     Ready is False: the message names the failing part (a
--                rolled-back release among them);
--   Healthy      Ready is True for the App's current generation.
local hs = { status = "Progressing", message = "Waiting for knapp to reconcile the App" }
if obj.status == nil then
  return hs
end
local generation = obj.metadata.generation
if generation ~= nil and (obj.status.observedGeneration == nil or obj.status.observedGeneration < generation) then
  hs.message = "Waiting for knapp to observe generation " .. tostring(generation)
  return hs
end
if obj.status.rollout ~= nil and obj.status.rollout.phase == "Paused" then
  hs.status = "Suspended"
  hs.message = obj.status.rollout.message or "The progressive release is paused"
  return hs
end
if obj.status.conditions == nil then
  return hs
end
for _, condition in ipairs(obj.status.conditions) do
  if condition.type == "Ready" then
    local text = (condition.reason or "") .. ": " .. (condition.message or "")
    if condition.status == "True" then
      hs.status = "Healthy"
      hs.message = condition.message or "Ready"
      if obj.status.url ~= nil and obj.status.url ~= "" then
        hs.message = hs.message .. " " .. obj.status.url
      end
    elseif condition.status == "False" then
      hs.status = "Degraded"
      hs.message = text
    else
      hs.message = text
    end
    return hs
  end
end
return hs
